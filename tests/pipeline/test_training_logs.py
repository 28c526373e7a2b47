"""Training logs: RUN/logs/<stage>.csv as training goes, equal to history.json;
TensorBoard on request; the report's loss curves from history.json."""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
import torch

from asdkit import registry
from asdkit.backbones.train import train_backbone
from asdkit.formats.run_layout import RunLayout
from asdkit.pipeline.training_log import COLUMNS, TrainingLog
from tests.backbones.backbone_helpers import synthetic_logmels
from tests.pipeline.pipeline_helpers import FIT_ARGS, invoke, ok


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        return list(reader)


def _assert_agrees(rows: list[dict[str, str]], history: list[dict]) -> None:
    """Same epochs, loss and acc (exactly: the CSV keeps full precision)."""
    assert len(rows) == len(history) > 0
    for row, record in zip(rows, history):
        assert int(row["epoch"]) == record["epoch"] and float(row["loss"]) == record["loss"]
        assert (row["acc"] == "") if record["acc"] is None else float(row["acc"]) == record["acc"]
        assert float(row["lr"]) > 0 and float(row["seconds"]) >= 0


class _CsvWatcher:
    """A Progress whose task counts the CSV's lines each time the loop reports an epoch."""

    def __init__(self, path: Path) -> None:
        self.path, self.lines_seen = path, []

    def task(self, description, total=None):  # noqa: ARG002 - the Progress protocol
        return self

    def set_info(self, **fields):  # noqa: ARG002
        self.lines_seen.append(len(self.path.read_text().splitlines()))

    def advance(self, n=1):
        pass

    def close(self):
        pass


def test_csv_grows_one_line_per_epoch_while_training(tmp_path):
    feats, labels = synthetic_logmels(n_per_class=4, n_mels=16, frames=24)
    torch.manual_seed(0)
    model = registry.create("backbone", "mobilenetv2", {"width_mult": 0.25, "embedding_dim": 16})
    run = RunLayout(tmp_path)
    with TrainingLog(run, "backbone") as log:
        watcher = _CsvWatcher(log.path)
        history = train_backbone(model, feats, labels, epochs=3, batch_size=6, crop_frames=16,
                                 progress=watcher, on_epoch=log)
    assert watcher.lines_seen == [2, 3, 4]  # header + one line per finished epoch, before training ended
    _assert_agrees(_rows(run.training_log("backbone")), history)


def test_extracted_and_fitted_runs_log_csv_equal_to_history(fitted_run):
    history = json.loads((fitted_run / "history.json").read_text())
    run = RunLayout(fitted_run)
    _assert_agrees(_rows(run.training_log("backbone")), history["backbone"])
    _assert_agrees(_rows(run.training_log("gnn")), history["gnn"])


def test_report_still_draws_the_loss_curves(fitted_run):
    from asdkit.report import load_run, render_report_and_notes
    from asdkit.report.history_plots import history_figure

    assert history_figure(json.loads((fitted_run / "history.json").read_text())) is not None
    html, missing = render_report_and_notes(load_run(fitted_run), "PCA")
    assert "Training curves" in html and not any(line.startswith("history.json") for line in missing)


def test_tensorboard_from_the_config_file_then_a_stage_without_training(run_copy, tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    cfg = tmp_path / "tb.toml"
    cfg.write_text("[fit]\ntensorboard = true\n", encoding="utf-8")
    ok("fit", str(run_copy), *FIT_ARGS, "--config", str(cfg))
    history = json.loads((run_copy / "history.json").read_text())["gnn"]
    events = EventAccumulator(str(run_copy / "tensorboard" / "gnn"))
    events.Reload()
    assert {"loss", "acc", "lr", "seconds"} <= set(events.Tags()["scalars"])
    logged = events.Scalars("loss")
    assert [e.step for e in logged] == [r["epoch"] for r in history]
    assert [e.value for e in logged] == pytest.approx([r["loss"] for r in history], rel=1e-6)

    ok("fit", str(run_copy), "--gnn", "none")  # nothing trains: the old gnn logs would lie
    assert not (run_copy / "logs" / "gnn.csv").exists() and not (run_copy / "tensorboard" / "gnn").exists()
    assert (run_copy / "logs" / "backbone.csv").is_file()


def test_tensorboard_without_the_package_is_one_line_before_any_work(run_copy, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # import tensorboard -> ImportError
    result = invoke("fit", str(run_copy), *FIT_ARGS, "--tensorboard")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("error: --tensorboard needs the tensorboard package: "
                                     "pip install 'asdkit[tensorboard]'")
    assert not (run_copy / "model").exists() and not (run_copy / "logs" / "gnn.csv").exists()
