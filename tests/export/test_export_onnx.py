"""The exported graph scores clips as ``asdkit score`` does (tolerance in helpers.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from asdkit import __version__
from asdkit.export import export_onnx
from asdkit.pipeline import AsdModel

from tests.pipeline.pipeline_helpers import ok

from .helpers import ABS_TOL, REL_TOL, compare, session

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


def _export(run: Path, tmp_path: Path) -> Path:
    result = export_onnx(run, tmp_path / "model.onnx")
    assert result.path.is_file() and result.checked_diff is not None
    return result.path


@pytest.mark.slow
def test_default_model_scores_like_asdkit_score(default_run: Path, tiny_data: Path, tmp_path: Path) -> None:
    worst = compare(default_run, tiny_data, _export(default_run, tmp_path))
    print(f"default model, synthetic clips: {worst}")


@pytest.mark.slow
def test_paper_model_scores_like_asdkit_score(fitted_run: Path, tiny_data: Path, tmp_path: Path) -> None:
    worst = compare(fitted_run, tiny_data, _export(fitted_run, tmp_path))
    print(f"paper model (MobileNetV2 + SAGE-GAT), synthetic clips: {worst}")


@pytest.mark.slow
def test_knn_scorer_with_normalised_scores(knn_zscore_run: Path, tiny_data: Path, tmp_path: Path) -> None:
    worst = compare(knn_zscore_run, tiny_data, _export(knn_zscore_run, tmp_path))
    print(f"knn scorer, z-scores, synthetic clips: {worst}")


@pytest.mark.slow
def test_default_model_on_real_recordings(real_run: Path, real_data: Path, tmp_path: Path) -> None:
    worst = compare(real_run, real_data, _export(real_run, tmp_path))
    assert worst["clips"] >= 60  # real-mini's dcase2020 test clips: 6 machine types
    print(f"default model, real-mini clips: {worst}")


@pytest.mark.slow
def test_metadata_describes_the_model(fitted_run: Path, tmp_path: Path) -> None:
    path = _export(fitted_run, tmp_path)
    meta = session(path).get_modelmeta().custom_metadata_map
    model = AsdModel.load(fitted_run, "cpu")
    manifest = json.loads((fitted_run / "model" / "manifest.json").read_text())
    assert json.loads(meta["machines"]) == model.machines
    assert meta["bundle_sha256"] == manifest["tensors_sha256"]
    assert meta["asdkit_version"] == __version__
    assert int(meta["sample_rate"]) == model.policy.sr
    assert meta["clip_samples"] == ("" if model.policy.n_samples is None else str(model.policy.n_samples))
    assert (meta["backbone"], meta["graph"], meta["scorer"]) == ("mobilenetv2", "sage_gat", "kmeans")
    sections = json.loads(meta["sections"])
    thresholds = json.loads(meta["thresholds"])
    assert set(sections) == set(thresholds)
    for machine in model.machines:
        assert machine in sections  # the key for sections unseen in training
        assert thresholds[machine] == pytest.approx(model.threshold(machine, "unseen-section"), rel=1e-12)
    per_section = [k for k in sections if "/" in k]
    assert per_section
    for key in per_section:
        machine, section = key.split("/")
        assert thresholds[key] == pytest.approx(model.threshold(machine, section), rel=1e-12)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:files at 16000 Hz are resampled:UserWarning")  # on purpose here
def test_fixed_length_model_at_another_rate(tiny_data: Path, tmp_path: Path) -> None:
    """A model that crops/pads to 1.5 s at 8 kHz: the graph takes exactly that length
    (what OnlineScorer.prepare makes of a 16 kHz file) and scores it alike."""
    import numpy as np
    import soundfile as sf

    from asdkit.pipeline.online import OnlineScorer

    run = tmp_path / "run"
    ok("extract", str(tiny_data), "-o", str(run), "--sr", "8000", "--seconds", "1.5")
    ok("fit", str(run))
    sess = session(_export(run, tmp_path))
    meta = sess.get_modelmeta().custom_metadata_map
    assert (meta["sample_rate"], meta["clip_samples"], meta["channel"]) == ("8000", "12000", "mean")
    assert sess.get_inputs()[0].shape == ["batch", 12000]
    scorer = OnlineScorer(AsdModel.load(run, "cpu"))
    sections = json.loads(meta["sections"])
    for path in sorted((tiny_data / "pump" / "test").glob("*.wav"))[:4]:
        wave, reasons = scorer.prepare(*sf.read(path, dtype="float32", always_2d=True), path.name)
        expected = scorer.score_waves([wave], ["pump"], ["00"], [reasons])[0]
        score, anomalous, threshold = sess.run(None, {"waveform": wave[None],
                                                      "section": np.array([sections.index("pump/00")])})
        assert abs(float(score[0]) - expected.score) <= ABS_TOL + REL_TOL * abs(expected.score)
        assert float(threshold[0]) == pytest.approx(expected.threshold, rel=1e-6)


@pytest.mark.slow
def test_an_op_that_does_not_export_is_one_line(default_run: Path, tmp_path: Path, monkeypatch, capfd) -> None:
    """A backbone with an op the exporter lacks (Unfold over a free length): a one-line
    ModelError, nothing written, and none of the exporter's IR dump on stdout/stderr."""
    import torch

    import asdkit.export.onnx as export_module
    from asdkit.errors import ModelError

    class Smoothed(torch.nn.Module):  # a plugin backbone: log-mel statistics of a moving average
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            frames = x[:, 0].unfold(-1, 5, 1).mean(-1)
            return torch.cat([frames.mean(-1), frames.std(-1)], dim=1)

    build = export_module.build_scoring_graph

    def with_unfold_backbone(model):
        graph = build(model)
        graph.backbone = Smoothed()
        return graph

    monkeypatch.setattr(export_module, "build_scoring_graph", with_unfold_backbone)
    with pytest.raises(ModelError, match=r"^ONNX export failed \(Unsupported: ONNX export of operator Unfold"):
        export_onnx(default_run, tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()
    captured = capfd.readouterr()
    assert "IR graph" not in captured.out + captured.err
