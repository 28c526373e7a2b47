"""``score``: new clips through the frozen model -> official DCASE CSVs (+ metrics).

Clips stream in chunks (bounded memory whatever the folder's size). Inductive by
default: each clip is attached to its ``k`` nearest *training* clips only, so its score
does not depend on which other clips are scored with it. ``transductive=True`` also
links the scored clips among themselves (all clips are then processed at once).

Every decoded clip's signal is checked first (:mod:`asdkit.audio.quality`, with the
relative duration rule against the model's ``train_seconds``). ``on_bad_signal=
"refuse"`` (default) refuses a silent, constant, clipped or too short clip like a
corrupt file (``on_error`` then fails or skips); ``"flag"`` scores it, forces its
decision to 1 (anomalous) and lists it in ``OUT/bad_signals.csv`` and
``ScoreResult.flagged``, so it can never pass as normal.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..audio import Clip, LoadSummary, Problem, SignalCheck, scan_dataset, write_clips_csv
from ..errors import InputError
from ..formats.names import parse_anonymised, parse_dcase2020, parse_dcase2021, parse_generic
from ..formats.run_layout import BAD_SIGNALS, RunLayout, scored_clips_file, thresholds_file, write_thresholds
from ..progress import Progress, ensure
from ..utils import atomic_open, output_folder
from .features import FeatureStream
from .model import AsdModel



@dataclass
class ScoreResult:
    out_dir: Path
    n_scored: int
    files: list[Path]
    skipped: LoadSummary
    evaluation: Any = None  # asdkit.metrics.EvaluationResult when labels are known
    scores: dict[str, float] = dataclasses.field(default_factory=dict)  # path -> score
    flagged: list[Problem] = dataclasses.field(default_factory=list)  # scored with a bad signal, decision 1
    left_out: list[Problem] = dataclasses.field(default_factory=list)  # what scanning the folders left out


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
                  layout: str = "auto", split: str = "test", left_out: list[Problem] | None = None) -> list[Clip]:
    """Folders are scanned as datasets (only ``split`` clips, unless ``all``); files as given.
    What a scan leaves out (names off the layout, broken links, ...) goes to ``left_out``."""
    clips: list[Clip] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            dataset = scan_dataset(path, layout)
            if left_out is not None:
                left_out.extend(dataset.problems)
            found = dataset.clips
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


def signal_check(model: AsdModel, on_bad_signal: str = "refuse") -> SignalCheck:
    """The signal rules for a model: defaults, relative to its training clips' duration."""
    return SignalCheck(reference_seconds=getattr(model.config, "train_seconds", None), on_bad=on_bad_signal)


def score_clips(model: AsdModel, clips: Sequence[Clip], *, transductive: bool = False,
                on_error: str = "fail", progress: Progress | None = None,
                signal: SignalCheck | None = None) -> tuple[list[Clip], list[float], LoadSummary]:
    """Score clips in streamed chunks: ``(scored clips, scores, load summary)``; with
    ``signal`` bad signals are refused or listed in the summary's ``flagged``."""
    progress = ensure(progress)
    chunk = len(clips) if transductive else 64
    stream = FeatureStream(clips, model.params, model.policy, None, on_error, progress, chunk_size=max(1, chunk),
                           signal=signal)
    done: list[Clip] = []
    scores: list[float] = []
    for chunk_clips, feats in stream:
        refined = model.refine(model.embed(feats), transductive=transductive)
        raw = model.score_refined(refined, [c.machine for c in chunk_clips])
        scores.extend(model.normalize(raw, [c.machine for c in chunk_clips],
                                      [c.section for c in chunk_clips]).tolist())
        done.extend(chunk_clips)
    return done, scores, stream.summary


def write_official_csvs(model: AsdModel, clips: Sequence[Clip], scores: Sequence[float], out_dir: Path,
                        flagged: Iterable[Problem] = ()) -> list[Path]:
    """``anomaly_score_*`` and ``decision_result_*`` per machine and section; the
    decision of a ``flagged`` clip (a bad signal) is 1 whatever its score."""
    groups: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    bad = {str(p.path) for p in flagged}
    forced = set()
    for clip, score in zip(clips, scores):
        groups[(clip.machine, clip.section)].append((clip.path.name, score))
        if str(clip.path) in bad:
            forced.add((clip.machine, clip.section, clip.path.name))
    return write_section_csvs(groups, model.threshold, out_dir, forced)


def write_section_csvs(groups: dict[tuple[str, str], list[tuple[str, float]]],
                       threshold_of: Callable[[str, str], float], out_dir: Path,
                       forced: Iterable[tuple[str, str, str]] = ()) -> list[Path]:
    """For each (machine, section) -> ``[(file name, score)]``: the score and decision CSVs
    (decision 1 when the score is above ``threshold_of(machine, section)``, or when
    ``(machine, section, file name)`` is in ``forced``) and ``thresholds.json``."""
    from ..metrics import score_file_name, write_score_csv

    forced = set(forced)
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
        write_score_csv(decision_path, names, [int(v > threshold or (machine, section, n) in forced)
                                               for n, v in rows])
        written += [score_path, decision_path]
    write_thresholds(thresholds_file(out_dir), thresholds)
    return written


def write_bad_signals_csv(path: Path, clips: Sequence[Clip], flagged: Iterable[Problem]) -> Path:
    """``path,machine,section,reason`` of every flagged clip (header only when none)."""
    import csv

    reasons = {str(p.path): p.reason for p in flagged}
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "machine", "section", "reason"])
        for clip in clips:
            if str(clip.path) in reasons:
                writer.writerow([str(clip.path), clip.machine, clip.section, reasons[str(clip.path)]])
    return path


def run_score(inputs: Sequence[str | Path], model_path: str | Path, out_dir: str | Path, *,
              machine: str | None = None, layout: str = "auto", split: str = "test",
              transductive: bool = False, on_error: str = "fail", on_bad_signal: str = "refuse",
              device: str = "auto", evaluate: bool = True, metrics_path: str | Path | None = None,
              progress: Progress | None = None, model: AsdModel | None = None) -> ScoreResult:
    """Score files and folders with a fitted model; write the official CSVs to ``out_dir``."""
    progress = ensure(progress)
    model = model or AsdModel.load(model_path, device)
    check = signal_check(model, on_bad_signal)
    if check.reference_seconds is None:
        progress.warn("the model records no training-clip duration (fitted before asdkit checked signals); "
                      "only the absolute minimum duration applies (re-run extract and fit to compare with it)")
    left_out: list[Problem] = []
    clips = collect_clips(inputs, model, machine=machine, layout=layout, split=split, left_out=left_out)
    done, scores, summary = score_clips(model, clips, transductive=transductive,
                                        on_error=on_error, progress=progress, signal=check)
    return finish_score(model, output_folder(out_dir), done, scores, summary, on_bad_signal=on_bad_signal,
                        evaluate=evaluate, metrics_path=metrics_path, progress=progress, left_out=left_out)


def finish_score(model: AsdModel, out: Path, done: Sequence[Clip], scores: Sequence[float], summary: LoadSummary,
                 *, on_bad_signal: str, evaluate: bool, metrics_path: str | Path | None,
                 progress: Progress | None, left_out: list[Problem]) -> ScoreResult:
    """Everything after scoring: the official CSVs, ``thresholds.json``, the bad-signal
    list, ``scored_clips.csv`` and the metrics when every clip's label is known (shared by
    :func:`run_score` and the sharded scorer's merge, so both write the same files)."""
    files = write_official_csvs(model, done, scores, out, summary.flagged)
    if on_bad_signal == "flag":
        files.append(write_bad_signals_csv(out / BAD_SIGNALS, done, summary.flagged))
    elif (out / BAD_SIGNALS).exists():  # left by an earlier flagging run: it would describe other clips
        (out / BAD_SIGNALS).unlink()
    result = ScoreResult(out, len(done), files, summary, scores={str(c.path): s for c, s in zip(done, scores)},
                         flagged=list(summary.flagged), left_out=left_out)
    if evaluate and done and all(c.label != "unknown" for c in done):
        write_clips_csv(scored_clips_file(out), [dataclasses.replace(c, split="test") for c in done])
        result.evaluation = evaluate_scored(out, Path(metrics_path or RunLayout(out).metrics), progress)
    return result


def evaluate_scored(out: Path, metrics_path: Path, progress: Progress | None = None) -> Any:
    """Metrics of the CSVs in ``out`` against ``out/scored_clips.csv``, written to
    ``metrics_path``; ``None`` (with a warning) where they are undefined."""
    from ..metrics import evaluate_scores_dir, write_metrics_json

    try:
        evaluation = evaluate_scores_dir(out, clips=scored_clips_file(out))
    except InputError as exc:  # no figure defined at all, or scores that do not match: the scores stand
        ensure(progress).warn(f"metrics not computed: {exc}")
        return None
    write_metrics_json(evaluation, metrics_path)
    return evaluation
