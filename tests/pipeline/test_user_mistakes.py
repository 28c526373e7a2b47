"""User mistakes end as one line naming the path or option, never as an internal error."""
from __future__ import annotations

import pickle
from fractions import Fraction
import shutil
import warnings
from pathlib import Path

import pytest
import torch

from tests.pipeline.pipeline_helpers import invoke

from asdkit.bundle import load_bundle, save_bundle
from asdkit.errors import InputError, ModelError


def _one_line_error(result, *needles: str) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "internal error" not in lines[0] and "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("args, needle", [
    (["--lr", "-1"], "--lr"),
    (["--lr", "nan"], "--lr"),
    (["--graph-dim", "0"], "--graph-dim"),
    (["--head-dim", "-3"], "--head-dim"),
    (["--batch-size", "0"], "--batch-size"),
    (["--false-alarm-rate", "1.5"], "--false-alarm-rate"),
])
def test_bad_fit_numbers_name_the_option(run_copy, args, needle):
    _one_line_error(invoke("fit", str(run_copy), "--gnn", "sage_gat", *args), needle)


def test_bad_extract_numbers_name_the_option(tiny_data, tmp_path):
    _one_line_error(invoke("extract", str(tiny_data), "-o", str(tmp_path / "r"), "--lr", "-1",
                           "--backbone", "mobilenetv2"), "--lr")


def test_output_that_is_a_file_or_cannot_be_made(tiny_data, fitted_run, tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    _one_line_error(invoke("extract", str(tiny_data), "-o", str(a_file)), str(a_file), "not a folder")
    _one_line_error(invoke("extract", str(tiny_data), "-o", str(a_file / "sub")), str(a_file / "sub"))
    _one_line_error(invoke("score", str(tiny_data), "--model", str(fitted_run), "-o", str(a_file)), str(a_file))
    assert a_file.read_text() == "keep me"  # nothing lost


def test_dangling_symlink_and_deleted_file_are_skipped_and_listed(tiny_data, tmp_path):
    from asdkit.audio import AudioPolicy, scan_dataset
    from asdkit.features import LogMelParams
    from asdkit.pipeline.features import FeatureStream, collect_features

    data = tmp_path / "data"
    shutil.copytree(tiny_data, data)
    (data / "fan" / "train" / "dangling.wav").symlink_to(tmp_path / "nowhere.wav")
    result = CliRunnerNoQuiet.invoke("extract", str(data), "-o", str(tmp_path / "r"), "--on-error", "skip",
                                     "--allow-skips")
    assert result.exit_code == 0 and "dangling.wav" in result.stderr, result.stderr
    # A file deleted between the scan and its decoding (with the feature cache on).
    clips = scan_dataset(data).clips
    clips[0].path.unlink()
    stream = FeatureStream(clips, LogMelParams(), AudioPolicy(), cache_dir=tmp_path / "cache", on_error="skip")
    kept, _ = collect_features(stream)
    assert len(kept) == len(clips) - 1
    assert [p.path for p in stream.summary.skipped] == [clips[0].path]
    with pytest.raises(InputError, match="no such file"):
        collect_features(FeatureStream(clips, LogMelParams(), AudioPolicy(), cache_dir=tmp_path / "cache"))


def test_pickled_weights_never_advise_unsafe_loading(tiny_data, tmp_path):
    weights = tmp_path / "evil.pt"  # a pickle of an object torch's safe loader refuses
    weights.write_bytes(pickle.dumps({"conv.weight": Fraction(1, 2)}))
    line = _one_line_error(invoke("extract", str(tiny_data), "-o", str(tmp_path / "r"), "--backbone",
                                  "mobilenetv2", "--weights", str(weights)), str(weights))
    assert "weights_only" not in line


def test_corrupted_weights_are_reported_as_such(fitted_run, tiny_data, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(fitted_run, run)
    tensors, config = load_bundle(run / "model")
    name = next(k for k, v in tensors.items() if k.startswith("backbone.") and v.is_floating_point())
    tensors[name] = torch.full_like(tensors[name], float("nan"))
    save_bundle(run / "model", tensors, config)  # a valid checksum over NaN weights
    with pytest.raises(ModelError, match="NaN or Inf"):
        load_bundle(run / "model")
    line = _one_line_error(invoke("score", str(tiny_data), "--model", str(run)), name)
    assert "new clips" not in line


def test_python_warnings_print_once_as_one_line(tiny_data, fitted_run, monkeypatch):
    from asdkit.pipeline import model as model_module

    original = model_module.AsdModel.embed

    def noisy_embed(self, features):
        for _ in range(3):
            warnings.warn("something odd in the backbone", UserWarning, stacklevel=1)
        return original(self, features)

    monkeypatch.setattr(model_module.AsdModel, "embed", noisy_embed)
    result = CliRunnerNoQuiet.invoke("score", str(tiny_data), "--model", str(fitted_run), "-o",
                                     str(Path(fitted_run).parent / "warned"))
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "something odd" in line]
    assert lines == ["warning: something odd in the backbone"], result.stderr


class CliRunnerNoQuiet:
    """The CLI without -q, so that warnings print."""

    @staticmethod
    def invoke(*args: str):
        from click.testing import CliRunner

        from asdkit.cli.main import cli

        return CliRunner().invoke(cli, ["--device", "cpu", *args])
