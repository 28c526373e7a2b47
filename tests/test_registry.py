"""The entry-point registry, exercised with fake entry points and fake plugin modules."""
from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass

import pytest
import torch
from click.testing import CliRunner

from asdkit import registry
from asdkit.cli.main import cli
from asdkit.config import parse_option_pairs
from asdkit.errors import ConfigError, PluginError

GOOD_MODULE = textwrap.dedent('''
    import torch
    from asdkit.api import Scorer

    class MeanDistance(Scorer):
        """Distance to the training mean."""
        def __init__(self, *, power: float = 2.0, shift: int = 0, robust: bool = False):
            self.power, self.shift, self.robust = power, shift, robust
            self.mean = None
        def fit(self, x, domain=None):
            self.mean = x.mean(0)
            return self
        def score(self, x):
            return (x - self.mean).abs().pow(self.power).sum(1)
        def state_dict(self):
            return {} if self.mean is None else {"mean": self.mean}
        def load_state_dict(self, state):
            self.mean = state["mean"]

    class DuckScorer:
        def __init__(self):
            pass
        def fit(self, x, domain=None): return self
        def score(self, x): return x.sum(1)
        def state_dict(self): return {}
        def load_state_dict(self, s): pass

    class NotAScorer:
        pass

    class Abstract(Scorer):
        pass

    not_a_class = 42
''')


@dataclass
class FakeDist:
    name: str
    version: str = "1.0"


@dataclass
class FakeEP:
    name: str
    value: str
    dist: FakeDist
    group: str = "asdkit.scorers"


@pytest.fixture
def fake_scorers(tmp_path, monkeypatch):
    (tmp_path / "fake_plugin_mod.py").write_text(GOOD_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = [
        FakeEP("mean_dist", "fake_plugin_mod:MeanDistance", FakeDist("good-dist", "2.1")),
        FakeEP("duck", "fake_plugin_mod:DuckScorer", FakeDist("good-dist", "2.1")),
        FakeEP("missing", "no_such_module_xyz:Thing", FakeDist("broken-dist", "0.3")),
        FakeEP("wrong", "fake_plugin_mod:NotAScorer", FakeDist("wrong-dist")),
        FakeEP("abstract", "fake_plugin_mod:Abstract", FakeDist("abstract-dist")),
        FakeEP("number", "fake_plugin_mod:not_a_class", FakeDist("number-dist")),
        FakeEP("twice", "fake_plugin_mod:MeanDistance", FakeDist("first-dist")),
        FakeEP("Twice", "fake_plugin_mod:DuckScorer", FakeDist("second-dist")),
    ]
    real = registry._entry_points

    def entry_points(group):
        return [e for e in eps if e.group == group] if group == "asdkit.scorers" else real(group)

    monkeypatch.setattr(registry, "_entry_points", entry_points)
    monkeypatch.setattr(registry, "_loaded", {})
    return eps


def test_discovery_imports_nothing(fake_scorers):
    import sys

    names = registry.names("scorer")
    assert {"mean_dist", "missing", "twice", "Twice"} <= set(names)
    assert "fake_plugin_mod" not in sys.modules and "no_such_module_xyz" not in sys.modules


def test_good_plugin_loads_on_first_use_with_fuzzy_name(fake_scorers):
    scorer = registry.create("scorer", "MEAN-dist", {"power": 1})
    assert scorer.asdkit_name == "mean_dist"
    assert scorer.asdkit_options == {"power": 1.0, "shift": 0, "robust": False}
    scores = scorer.fit(torch.zeros(4, 2)).score(torch.tensor([[1.0, 1.0], [0.0, 0.0]]))
    assert scores.tolist() == [2.0, 0.0]


def test_duck_typed_plugin_is_accepted(fake_scorers):
    assert registry.load("scorer", "duck").__name__ == "DuckScorer"


@pytest.mark.parametrize("name, dist, words", [
    ("missing", "broken-dist", "failed to load: ModuleNotFoundError"),
    ("wrong", "wrong-dist", "does not satisfy the Scorer contract (missing: fit, score"),
    ("abstract", "abstract-dist", "does not implement fit, load_state_dict, score, state_dict"),
    ("number", "number-dist", "is not a class"),
])
def test_broken_plugins_name_their_distribution_and_entry_point(fake_scorers, name, dist, words):
    with pytest.raises(PluginError) as err:
        registry.load("scorer", name)
    assert f"distribution '{dist}'" in str(err.value) and f"'{name} = " in str(err.value)
    assert words in str(err.value)
    # ...and the good plugin still works after a broken one failed
    assert registry.load("scorer", "mean_dist").__name__ == "MeanDistance"


def test_duplicate_name_names_both_claimants(fake_scorers):
    with pytest.raises(PluginError, match="claimed twice.*first-dist.*second-dist"):
        registry.load("scorer", "twice")


def test_unknown_name_lists_valid_choices(fake_scorers):
    with pytest.raises(PluginError, match=r"unknown scorer 'nope' \(valid choices: .*mean_dist"):
        registry.load("scorer", "nope")


def test_options_are_validated_and_coerced(fake_scorers):
    with pytest.raises(PluginError, match=r"unknown option\(s\) bogus \(valid: power, robust, shift\)"):
        registry.create("scorer", "mean_dist", {"bogus": 1})
    with pytest.raises(PluginError, match="option 'shift' must be an integer"):
        registry.create("scorer", "mean_dist", {"shift": 1.5})
    with pytest.raises(PluginError, match="option 'robust' must be true or false"):
        registry.create("scorer", "mean_dist", {"robust": 3})
    with pytest.raises(PluginError, match="option 'power' must be float"):
        registry.create("scorer", "mean_dist", {"power": "high"})


def test_option_pairs_parse_values():
    assert parse_option_pairs(["heads=4", "dropout=0.1", "residual=false", "aggr=max",
                               "dims=[64,32]", "act=none", "hidden-dim=8"]) == {
        "heads": 4, "dropout": 0.1, "residual": False, "aggr": "max", "dims": [64, 32],
        "act": None, "hidden_dim": 8}
    with pytest.raises(ConfigError, match="not of the form key=value"):
        parse_option_pairs(["heads"])


def test_plugins_command_lists_broken_without_breaking(fake_scorers):
    result = CliRunner().invoke(cli, ["plugins", "--kind", "scorer", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["mean_dist"]["status"] == "ok" and rows["mean_dist"]["version"] == "2.1"
    assert rows["missing"]["status"] == "broken" and "broken-dist" in rows["missing"]["reason"]
    assert rows["twice"]["status"] == "broken" and "claimed twice" in rows["twice"]["reason"]
    table = CliRunner().invoke(cli, ["plugins", "--kind", "scorer"])
    assert table.exit_code == 0 and "good-dist" in table.output


def test_plugins_lists_without_importing_and_check_imports(fake_scorers):
    import sys

    sys.modules.pop("fake_plugin_mod", None)  # earlier tests imported it
    rows = {r["name"]: r for r in json.loads(CliRunner().invoke(cli, ["plugins", "--json"]).output)}
    assert rows["wrong"]["status"] == "ok"  # its module exists; only importing it tells more
    assert "fake_plugin_mod" not in sys.modules
    checked = CliRunner().invoke(cli, ["plugins", "--kind", "scorer", "--json", "--check"])
    rows = {r["name"]: r for r in json.loads(checked.output)}
    assert rows["wrong"]["status"] == "broken" and "Scorer contract" in rows["wrong"]["reason"]
    assert rows["mean_dist"]["status"] == "ok"


def test_a_component_whose_requirement_is_missing_is_not_installed():
    import importlib.util

    if importlib.util.find_spec("torch_cluster") is not None:
        pytest.skip("torch-cluster is installed here")
    rows = {r["name"]: r for r in json.loads(CliRunner().invoke(cli, ["plugins", "--kind", "knn", "--json"]).output)}
    assert rows["torch_cluster"]["status"] == "not installed"
    assert "asdkit[cluster]" in rows["torch_cluster"]["reason"]
    assert rows["faiss"]["status"] == "ok"


@pytest.mark.parametrize("args", [["--help"], ["plugins"], ["plugins", "--json"]])
def test_listing_imports_no_heavy_package(args):
    import subprocess
    import sys

    code = (f"import sys; from click.testing import CliRunner; from asdkit.cli.main import cli;"
            f"r = CliRunner().invoke(cli, {args!r}); assert r.exit_code == 0, r.output;"
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'torch', 'scipy', 'sklearn', 'faiss', 'torch_geometric'}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_unknown_kind():
    with pytest.raises(PluginError, match="unknown component kind"):
        registry.discover("vocoder")


def test_discovery_scans_the_installed_distributions_once(monkeypatch):
    # One pass for every kind (was one per kind), and again only when sys.path's folders change.
    calls = []
    real = registry.md.distributions

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(registry.md, "distributions", counting)
    registry._scan.cache_clear()
    first = registry.all_components()
    assert registry.all_components() == first and len(calls) == 1
    assert {i.kind for i in first} == set(registry.KINDS)
    monkeypatch.setattr(registry, "_path_key", lambda: (("changed", 1),))
    registry.all_components()
    assert len(calls) == 2
    registry._scan.cache_clear()
