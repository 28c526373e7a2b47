"""``score``: new clips through the frozen model -> official DCASE CSVs (+ metrics).

Clips stream in chunks (bounded memory whatever the folder's size). Inductive by
default: each clip is attached to its ``k`` nearest *training* clips only, so its score
does not depend on which other clips are scored with it. ``transductive=True`` also
links the scored clips among themselves (all clips are then processed at once).
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..audio import Clip, LoadSummary, scan_dataset, write_clips_csv
from ..audio.naming import parse_anonymised, parse_dcase2020, parse_dcase2021, parse_generic
from ..errors import InputError
from ..progress import Progress, ensure
from ..utils import atomic_write_json
from .features import FeatureStream
from .model import AsdModel

SCORED_CLIPS = "scored_clips.csv"


@dataclass
class ScoreResult:
    out_dir: Path
    n_scored: int
    files: list[Path]
    skipped: LoadSummary
    evaluation: Any = None  # asdkit.metrics.EvaluationResult when labels are known
    scores: dict[str, float] = dataclasses.field(default_factory=dict)  # path -> score


def clip_from_path(path: Path, known_machines: Sequence[str], machine: str | None = None) -> Clip:
    """A record for a loose file: machine from ``machine`` or the nearest known folder name."""
    if machine is None:
        machine = next((p for p in reversed(path.parent.parts) if p in known_machines), None)
    if machine is None:
        raise InputError(f"{path}: cannot tell its machine type (no folder named after one of "
                         f"{', '.join(known_machines)}); pass --machine")
    for parse in (parse_dcase2021, parse_dcase2020, parse_anonymised):
        fields = parse(path)
        if fields is not None:
            break
    else:
        fields = parse_generic(path)
    return Clip(path=path, machine=machine, **fields)


def collect_clips(inputs: Iterable[str | Path], model: AsdModel, *, machine: str | None = None,
                  layout: str = "auto", split: str = "test") -> list[Clip]:
    """Folders are scanned as datasets (only ``split`` clips, unless ``all``); files as given."""
    clips: list[Clip] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = scan_dataset(path, layout).clips
            if machine is not None:
                found = [dataclasses.replace(c, machine=machine) for c in found]
            clips.extend(c for c in found if split == "all" or c.split == split)
        elif path.exists():
            clips.append(clip_from_path(path, model.machines, machine))
        else:
            raise InputError(f"{path}: no such file or folder")
    if not clips:
        raise InputError(f"no {'' if split == 'all' else split + ' '}clips to score in "
                         f"{', '.join(map(str, inputs))}")
    model.check_machines([c.machine for c in clips], where=", ".join(map(str, inputs)))
    _check_unique_names(clips)
    return clips


def _check_unique_names(clips: Sequence[Clip]) -> None:
    seen: dict[tuple[str, str, str], Path] = {}
    for clip in clips:
        key = (clip.machine, clip.section, clip.path.name)
        if key in seen and seen[key] != clip.path:
            raise InputError(f"{clip.path}: same file name as {seen[key]} in {clip.machine} section "
                             f"{clip.section}; the official CSVs name clips by file name")
        seen[key] = clip.path


def score_clips(model: AsdModel, clips: Sequence[Clip], *, transductive: bool = False,
                on_error: str = "fail", progress: Progress | None = None) -> tuple[list[Clip], list[float], LoadSummary]:
    """Score clips in streamed chunks: ``(scored clips, scores, load summary)``."""
    progress = ensure(progress)
    chunk = len(clips) if transductive else 64
    stream = FeatureStream(clips, model.params, model.policy, None, on_error, progress, chunk_size=max(1, chunk))
    done: list[Clip] = []
    scores: list[float] = []
    for chunk_clips, feats in stream:
        refined = model.refine(model.embed(feats), transductive=transductive)
        raw = model.score_refined(refined, [c.machine for c in chunk_clips])
        scores.extend(model.normalize(raw, [c.machine for c in chunk_clips],
                                      [c.section for c in chunk_clips]).tolist())
        done.extend(chunk_clips)
    return done, scores, stream.summary


def write_official_csvs(model: AsdModel, clips: Sequence[Clip], scores: Sequence[float], out_dir: Path) -> list[Path]:
    """``anomaly_score_*`` and ``decision_result_*`` per machine and section."""
    groups: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for clip, score in zip(clips, scores):
        groups[(clip.machine, clip.section)].append((clip.path.name, score))
    return write_section_csvs(groups, model.threshold, out_dir)


def write_section_csvs(groups: dict[tuple[str, str], list[tuple[str, float]]],
                       threshold_of: Callable[[str, str], float], out_dir: Path) -> list[Path]:
    """For each (machine, section) -> ``[(file name, score)]``: the score and decision CSVs
    (decision 1 when the score is above ``threshold_of(machine, section)``) and
    ``thresholds.json``."""
    from ..metrics import score_file_name, write_score_csv

    written = []
    thresholds = {}
    for (machine, section), rows in sorted(groups.items()):
        names = [n for n, _ in rows]
        values = [s for _, s in rows]
        threshold = threshold_of(machine, section)
        thresholds[f"{machine}/{section}"] = threshold
        score_path = out_dir / score_file_name(machine, section, "anomaly_score")
        decision_path = out_dir / score_file_name(machine, section, "decision_result")
        write_score_csv(score_path, names, values)
        write_score_csv(decision_path, names, [int(v > threshold) for v in values])
        written += [score_path, decision_path]
    atomic_write_json(out_dir / "thresholds.json", thresholds)
    return written


def run_score(inputs: Sequence[str | Path], model_path: str | Path, out_dir: str | Path, *,
              machine: str | None = None, layout: str = "auto", split: str = "test",
              transductive: bool = False, on_error: str = "fail", device: str = "cpu",
              evaluate: bool = True, metrics_path: str | Path | None = None,
              progress: Progress | None = None, model: AsdModel | None = None) -> ScoreResult:
    """Score files and folders with a fitted model; write the official CSVs to ``out_dir``."""
    progress = ensure(progress)
    model = model or AsdModel.load(model_path, device)
    clips = collect_clips(inputs, model, machine=machine, layout=layout, split=split)
    done, scores, summary = score_clips(model, clips, transductive=transductive,
                                        on_error=on_error, progress=progress)
    out = Path(out_dir)
    files = write_official_csvs(model, done, scores, out)
    result = ScoreResult(out, len(done), files, summary, scores={str(c.path): s for c, s in zip(done, scores)})
    if evaluate and done and all(c.label != "unknown" for c in done):
        write_clips_csv(out / SCORED_CLIPS, [dataclasses.replace(c, split="test") for c in done])
        result.evaluation = evaluate_scored(out, Path(metrics_path or out / "metrics.json"), progress)
    return result


def evaluate_scored(out: Path, metrics_path: Path, progress: Progress | None = None) -> Any:
    """Metrics of the CSVs in ``out`` against ``out/scored_clips.csv``, written to
    ``metrics_path``; ``None`` (with a warning) where they are undefined."""
    from ..metrics import evaluate_scores_dir, write_metrics_json

    try:
        evaluation = evaluate_scores_dir(out, clips=out / SCORED_CLIPS)
    except InputError as exc:  # e.g. a section without normal clips: no AUC, but scores stand
        ensure(progress).warn(f"metrics not computed: {exc}")
        return None
    write_metrics_json(evaluation, metrics_path)
    return evaluation
