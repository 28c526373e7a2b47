"""``asdkit export``: writes the graph atomically, prints its path and a summary; user
mistakes and unsupported components end as one line naming them."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.pipeline.pipeline_helpers import invoke, ok

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


def _one_line_error(result, *needles: str) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.slow
def test_export_prints_the_path_and_a_summary(default_run: Path, tmp_path: Path) -> None:
    import onnx

    target = tmp_path / "out" / "model.onnx"
    result = ok("export", str(default_run), "--format", "onnx", "-o", str(target))
    assert result.stdout.strip() == str(target)
    summary = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(summary) == 1 and summary[0].startswith("exported logmel_stats + no graph + kmeans for 3 machine")
    assert "onnxruntime check" in summary[0]
    onnx.checker.check_model(onnx.load(str(target)))
    assert [p.name for p in target.parent.iterdir()] == ["model.onnx"]  # no temporary file left


@pytest.mark.slow
def test_default_output_is_next_to_the_model(default_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(default_run, run, ignore=shutil.ignore_patterns("*.onnx"))
    result = ok("export", str(run))
    assert result.stdout.strip() == str(run / "model.onnx") and (run / "model.onnx").is_file()


def test_other_formats_are_refused(default_run: Path, tmp_path: Path) -> None:
    target = tmp_path / "model.tflite"
    _one_line_error(invoke("export", str(default_run), "--format", "tflite", "-o", str(target)),
                    "--format tflite", "supported: onnx")
    assert not target.exists()


def test_low_opset_and_missing_run_are_refused(default_run: Path, tmp_path: Path) -> None:
    _one_line_error(invoke("export", str(default_run), "--opset", "13", "-o", str(tmp_path / "m.onnx")),
                    "opset 13")
    _one_line_error(invoke("export", str(tmp_path / "nowhere"), "-o", str(tmp_path / "m.onnx")),
                    "nowhere", "no such model")
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.slow
def test_an_unsupported_scorer_is_refused_by_name(default_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(default_run, run, ignore=shutil.ignore_patterns("model", "scores", "*.onnx"))
    ok("fit", str(run), "--scorer", "mahalanobis")
    target = tmp_path / "out" / "model.onnx"
    _one_line_error(invoke("export", str(run), "-o", str(target)),
                    "scorer 'mahalanobis' cannot be exported to ONNX (supported: kmeans, knn)")
    assert not target.exists()
