"""Run an exported model with onnxruntime the way a user without asdkit would, and read
what ``asdkit score`` wrote, to compare the two."""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from asdkit.formats.bundle_schema import ModelConfig
from asdkit.formats.score_files import parse_score_file_name, read_decision_csv, read_score_csv
from asdkit.pipeline.heldout import section_stats

#: Agreement with ``asdkit score``:
#: ``|onnx - asdkit| <= max(ABS_TOL, SPREAD_TOL * sigma) + REL_TOL * |asdkit|``, with ``sigma``
#: the standard deviation of the held-out scores of the clip's machine and section on the
#: output scale (1 for normalised scores). Both sides compute in float32: ``ABS_TOL`` is the
#: rounding floor of a cosine distance (``1 - cos`` near 1) plus the log-mel's float32
#: rounding (~3e-5 dB, either side), ``SPREAD_TOL`` what that rounding becomes through a
#: network (asdkit's own scripted and eager backbones differ by up to ~2e-4 sigma).
ABS_TOL = 1e-5
SPREAD_TOL = 2e-3
REL_TOL = 1e-3

Key = tuple[str, str, str]  # machine, section, file name


def session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def official(scores_dir: Path) -> tuple[dict[Key, float], dict[Key, int]]:
    """Scores and decisions ``asdkit score`` wrote, by (machine, section, file name)."""
    scores: dict[Key, float] = {}
    decisions: dict[Key, int] = {}
    for path in sorted(scores_dir.glob("*.csv")):
        info = parse_score_file_name(path)
        if info is None:
            continue
        if info.kind == "anomaly_score":
            names, values = read_score_csv(path)
            scores.update({(info.machine, info.section, n): v for n, v in zip(names, values)})
        else:
            decisions.update({(info.machine, info.section, n): d for n, d in read_decision_csv(path).items()})
    return scores, decisions


def run_onnx(sess: Any, data: Path, keys: list[Key], batch: int = 8) -> dict[Key, tuple[float, bool]]:
    """ONNX score and decision of each clip ``DATA/<machine>/test/<name>``: mono (channel
    mean), fed at its own length, equal lengths batched together."""
    sections = json.loads(sess.get_modelmeta().custom_metadata_map["sections"])
    waves: dict[int, list[tuple[Key, np.ndarray, int]]] = defaultdict(list)
    for key in keys:
        machine, section, name = key
        samples, _ = sf.read(data / machine / "test" / name, dtype="float32", always_2d=True)
        wanted = f"{machine}/{section}"
        index = sections.index(wanted if wanted in sections else machine)
        waves[len(samples)].append((key, samples.mean(axis=1), index))
    results = {}
    for group in waves.values():
        for start in range(0, len(group), batch):
            part = group[start:start + batch]
            score, anomalous, _ = sess.run(None, {"waveform": np.stack([w for _, w, _ in part]),
                                                  "section": np.array([i for _, _, i in part], dtype=np.int64)})
            results.update({k: (float(s), bool(a)) for (k, _, _), s, a in zip(part, score, anomalous)})
    return results


def spread(config: ModelConfig, machine: str, section: str) -> float:
    """The held-out score standard deviation of a section on the output scale."""
    if config.normalizes_scores:
        return 1.0
    return float(section_stats(config.heldout_score_stats, machine, section, "model")["std"])


def compare(run: Path, data: Path, onnx_path: Path) -> dict[str, float]:
    """Assert the ONNX graph scores every clip ``asdkit score`` scored in RUN/scores alike
    (tolerance above) and decides alike (except within tolerance of the threshold);
    returns the worst absolute difference and the worst difference / tolerance."""
    from asdkit.pipeline import AsdModel

    model = AsdModel.load(run, "cpu")
    scores, decisions = official(run / "scores")
    assert scores, f"{run / 'scores'}: no scores to compare with"
    got = run_onnx(session(onnx_path), data, sorted(scores))
    worst = {"abs": 0.0, "of_tolerance": 0.0, "clips": float(len(got))}
    for key, expected in scores.items():
        machine, section, _ = key
        score, anomalous = got[key]
        tol = max(ABS_TOL, SPREAD_TOL * spread(model.config, machine, section)) + REL_TOL * abs(expected)
        assert abs(score - expected) <= tol, f"{key}: onnx {score} vs asdkit {expected} (tolerance {tol:.2g})"
        threshold = model.threshold(machine, section)
        if abs(expected - threshold) > tol:
            assert anomalous == bool(decisions[key]), f"{key}: decision {anomalous} vs asdkit {decisions[key]}"
        worst["abs"] = max(worst["abs"], abs(score - expected))
        worst["of_tolerance"] = max(worst["of_tolerance"], abs(score - expected) / tol)
    return worst
