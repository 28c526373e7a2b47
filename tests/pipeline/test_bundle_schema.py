"""The bundle config schema: typed round trip, schema-1 bundles still load and score the
same, newer or incomplete ones are refused by name."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from asdkit.bundle import load_bundle, save_bundle
from asdkit.errors import ModelError
from asdkit.formats.bundle_schema import SCHEMA_VERSION, BackboneConfig, ModelConfig
from asdkit.pipeline import AsdModel, FitSettings
from asdkit.pipeline.score import collect_clips, score_clips


def _scores(run, data) -> np.ndarray:
    model = AsdModel.load(run, "cpu")
    clips = collect_clips([data], model)[:6]
    return np.array(score_clips(model, clips)[1])


def test_written_configs_are_the_typed_schema(fitted_run):
    _, raw = load_bundle(fitted_run / "model")
    config = ModelConfig.from_dict(raw, "model")
    assert raw["schema"] == SCHEMA_VERSION and config.to_dict() == raw
    assert config.gnn is not None and config.gnn.head_hidden_dim == FitSettings().head_hidden_dim
    _, backbone = load_bundle(fitted_run / "backbone")
    assert BackboneConfig.from_dict(backbone, "backbone").to_dict() == backbone


def _rewrite(run, edit) -> None:
    tensors, raw = load_bundle(run / "model")
    edit(raw)
    save_bundle(run / "model", tensors, raw)


def test_a_schema_1_bundle_loads_and_scores_the_same(fitted_run, tiny_data, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(fitted_run, old)

    def as_schema_1(raw):  # what asdkit wrote before the typed schema
        del raw["schema"], raw["gnn"]["head_hidden_dim"], raw["train_seconds"]
        raw["fit"]["hidden_dim"] = raw["fit"].pop("graph_dim")
        del raw["fit"]["head_hidden_dim"]

    _rewrite(old, as_schema_1)
    assert np.array_equal(_scores(old, tiny_data), _scores(fitted_run, tiny_data))
    _, raw = load_bundle(old / "model")
    fit = dict(raw["fit"], head_hidden_dim=256)
    assert FitSettings.from_dict(fit).graph_dim == raw["fit"]["hidden_dim"]


@pytest.mark.parametrize("edit, message", [
    (lambda raw: raw.update(schema=SCHEMA_VERSION + 1), "newer than this asdkit reads"),
    (lambda raw: raw.pop("machines"), "lacks machines"),
    (lambda raw: raw.update(gnn=None), "no graph network"),
    (lambda raw: raw.update(scorer="kmeans"), "'scorer' is not a JSON object"),
    (lambda raw: raw.update(score_on="sideways"), "score_on 'sideways'"),
])
def test_newer_or_broken_configs_are_refused_by_name(fitted_run, tmp_path, edit, message):
    run = tmp_path / "run"
    shutil.copytree(fitted_run, run)
    _rewrite(run, edit)
    with pytest.raises(ModelError, match=message) as err:
        AsdModel.load(run, "cpu")
    assert str(run / "model") in str(err.value) and "\n" not in str(err.value)
