"""Run configs: --config TOML on extract/fit/score, flags win, the effective config is
saved (run.toml), `asdkit config` prints it, and it redoes the run."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from asdkit.runconfig import load_config, tomllib  # tomllib, or tomli on Python 3.10
from tests.pipeline.pipeline_helpers import invoke, ok


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _config_json(run: Path) -> dict:
    return json.loads((run / "config.json").read_text())


def _scores(run: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((run / "scores").glob("*_section_*.csv"))}


def test_file_options_with_flags_winning(tiny_data, tmp_path):
    out = tmp_path / "from_file"
    cfg = _write(tmp_path / "run.toml", f'seed = 7\n[extract]\noutput = "{out}"\nn_mels = 32\nhop = 256\n'
                 "on-error = \"skip\"\n")
    ok("extract", str(tiny_data), "--config", str(cfg), "--n-mels", "64")  # no -o: the file's output
    settings = _config_json(out)["extract"]
    assert settings["features"]["n_mels"] == 64  # the flag
    assert settings["features"]["hop_length"] == 256 and settings["on_error"] == "skip"  # the file
    assert settings["seed"] == 7  # the file's global seed; the group's --seed was not given
    saved = tomllib.loads((out / "run.toml").read_text())
    assert saved["seed"] == 7 and saved["extract"]["n-mels"] == 64 and saved["extract"]["hop"] == 256
    assert "output" not in saved["extract"] and "cache" not in saved["extract"]  # where, not how

    flagged = tmp_path / "seed_flag"
    ok("--seed", "5", "extract", str(tiny_data), "-o", str(flagged), "--config", str(cfg))
    assert _config_json(flagged)["extract"]["seed"] == 5  # the group flag beats the file


def test_fit_and_score_tables_lists_and_per_stage_seeds(run_copy, tiny_data, tmp_path):
    out = tmp_path / "scored"
    cfg = _write(tmp_path / "cfg.toml",
                 '[fit]\ngnn = "none"\nscorer = "knn"\nscorer-opt = ["k=3", "standardize=true"]\n'
                 f'false_alarm_rate = 0.2\n[score]\nmodel = "{run_copy}"\nno-eval = true\n')
    ok("--seed", "4", "fit", str(run_copy), "--config", str(cfg), "--scorer-opt", "k=2")
    fit = _config_json(run_copy)["fit"]
    assert fit["scorer"] == "knn" and fit["false_alarm_rate"] == 0.2
    assert fit["scorer_options"] == {"k": 2}  # a repeated flag replaces the file's whole list
    assert fit["seed"] == 4

    text = (run_copy / "run.toml").read_text()
    saved = tomllib.loads(text)
    assert set(saved) == {"extract", "fit"}  # extract ran with seed 0, fit with 4: no shared top level
    assert saved["extract"]["seed"] == 0 and saved["fit"]["seed"] == 4
    assert saved["fit"]["scorer-opt"] == ["k=2"] and saved["extract"]["backbone"] == "mobilenetv2"
    assert load_config(run_copy / "run.toml").globals_of("fit") == {"seed": 4, "device": "cpu"}
    assert ok("config", str(run_copy)).stdout == text

    ok("score", str(tiny_data), "--config", str(cfg), "-o", str(out))  # --model from the file
    assert any(out.glob("anomaly_score_*.csv")) and not (out / "metrics.json").exists()
    scored = tomllib.loads((out / "run.toml").read_text())
    assert scored["fit"] == saved["fit"] and scored["extract"] == saved["extract"]
    assert scored["score"]["model"] == str(run_copy) and scored["score"]["no-eval"] is True
    assert "output" not in scored["score"]
    assert "score" not in tomllib.loads((run_copy / "run.toml").read_text())  # -o OUT: the RUN untouched


@pytest.mark.parametrize("text, fragments", [
    ('[fit]\nepochs = "ten"\n', ["[fit] epochs", "expected an integer", "'ten'"]),
    ("[fit]\nepochs = 2.5\n", ["[fit] epochs", "expected an integer"]),
    ('[fit]\ngnn-opts = ["heads=4"]\n', ["[fit]", "unknown key 'gnn-opts'", "valid:", "gnn-opt", "false-alarm-rate"]),
    ('[fit]\ngnn-opt = "heads=4"\n', ["[fit] gnn-opt", "list of strings"]),
    ("[fit]\nnormalize-scores = 1\n", ["[fit] normalize-scores", "true or false"]),
    ('[fit]\nscore-on = "x"\n', ["[fit] score-on", "one of auto, refined, embedding"]),
    ("[fitt]\nk = 3\n", ["unknown table [fitt]", "[extract], [fit], [score]"]),
    ('[score]\nmodle = "run"\n', ["[score]", "unknown key 'modle'", "model"]),  # other tables are checked too
    ("colour = 1\n", ["unknown key 'colour'", "device, seed"]),
    ("seed = true\n", ["seed", "expected an integer"]),
    ('device = "tpu"\n', ["device", "one of auto, cpu, cuda"]),
    ("[fit]\nbatch_size = 3\nbatch-size = 4\n", ["'batch_size' and 'batch-size' are the same option"]),
    ("fit = 3\n", ["'fit' must be a table"]),
    ("[fit\n", ["not valid TOML"]),
])
def test_bad_files_are_one_line_errors_naming_file_and_key(tmp_path, text, fragments):
    cfg = _write(tmp_path / "bad.toml", text)
    result = invoke("fit", str(tmp_path / "run"), "--config", str(cfg))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {cfg}"), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_missing_file_and_missing_run_toml(tmp_path):
    result = invoke("fit", str(tmp_path), "--config", str(tmp_path / "none.toml"))
    assert result.exit_code == 1 and "none.toml: no such file" in result.stderr
    result = invoke("config", str(tmp_path))
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "no run.toml" in result.stderr


@pytest.mark.slow
def test_saved_config_redoes_the_run(fitted_run, tiny_data, tmp_path):
    """fitted_run was made from flags; its run.toml alone gives the same settings and scores."""
    saved = fitted_run / "run.toml"
    assert ok("config", str(fitted_run)).stdout == saved.read_text()
    redo = tmp_path / "redo"
    ok("extract", str(tiny_data), "-o", str(redo), "--config", str(saved))
    ok("fit", str(redo), "--config", str(saved))
    ok("score", str(tiny_data), "--model", str(redo), "--config", str(saved))
    first, second = _config_json(fitted_run), _config_json(redo)
    assert second["extract"] == first["extract"] and second["fit"] == first["fit"]
    assert _scores(redo) and _scores(redo) == _scores(fitted_run)
    again, before = tomllib.loads((redo / "run.toml").read_text()), tomllib.loads(saved.read_text())
    assert again["extract"] == before["extract"] and again["fit"] == before["fit"]  # a fixed point
    assert again["score"]["model"] == str(redo)
