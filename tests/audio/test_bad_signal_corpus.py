"""Every file of a >= 200-file corpus of good, bad and broken audio ends cleanly.

Each file goes through the load + signal-check path that ``asdkit score`` uses
(:func:`iter_audio` with a :class:`SignalCheck`, a model trained on 10 s clips, a
10 s audio policy) and ends as either a clean waveform that passes every rule or a
one-line :class:`InputError` naming the file. Counted: internal errors (any other
exception), hangs (over the per-file time budget), silent wrong results (a bad file
that passes), false refusals (a good file refused), and bad signals that
``on_bad="flag"`` would let through unflagged. All must be 0.
"""
from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from asdkit.audio import AudioPolicy, SignalCheck, iter_audio
from asdkit.errors import InputError

from tests.audio.bad_signal_corpus import BAD, EITHER, GOOD, REFERENCE_SECONDS, build_corpus

pytestmark = pytest.mark.filterwarnings("ignore:.*resampled to:UserWarning")

POLICY = AudioPolicy(sr=16000, seconds=10.0)
BUDGET_S = 20  # per file; the whole corpus decodes in seconds


class _Hang(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Hang()


def load_checked(path: Path, on_bad: str = "refuse"):
    """``(waveforms, summary)`` through the scoring path."""
    batch = iter_audio([path], POLICY, signal=SignalCheck(reference_seconds=REFERENCE_SECONDS, on_bad=on_bad))
    waves = [wave for _, wave in batch]
    return waves, batch.summary


def outcome(path: Path) -> tuple[str, str]:
    """``("clean" | "refused" | "internal" | "hang" | "malformed", detail)`` for one file."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, BUDGET_S)
    start = time.monotonic()
    try:
        waves, _ = load_checked(path)
    except InputError as exc:
        message = str(exc)
        if "\n" in message or str(path) not in message:
            return "malformed", message
        return "refused", message
    except _Hang:
        return "hang", f"over {BUDGET_S} s"
    except Exception as exc:  # noqa: BLE001 - exactly what the corpus hunts for
        return "internal", f"{type(exc).__name__}: {exc}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if time.monotonic() - start > BUDGET_S:
        return "hang", "over budget"
    wave = waves[0]
    if wave.dtype != np.float32 or wave.shape != (POLICY.n_samples,) or not np.isfinite(wave).all():
        return "malformed", f"waveform {wave.dtype} {wave.shape}"
    return "clean", ""


def flag_mode_lists(path: Path, message: str) -> bool:
    """A signal refused by default is loaded and listed under ``on_bad="flag"``."""
    _, summary = load_checked(path, on_bad="flag")
    return [str(p) for p in summary.flagged] == [message]


def test_corpus_ends_in_clean_waveforms_or_one_line_errors(tmp_path):
    corpus = build_corpus(seed=0)
    kinds = Counter(expect for _, _, expect in corpus)
    assert len(corpus) >= 200 and kinds[GOOD] >= 60 and kinds[BAD] >= 150 and kinds[EITHER] >= 50

    tally: Counter[str] = Counter()
    wrong: list[str] = []
    for name, data, expect in corpus:
        path = tmp_path / name
        path.write_bytes(data)
        result, detail = outcome(path)
        tally[result] += 1
        verdict = {("refused", GOOD): "false refusal", ("clean", BAD): "silent wrong"}.get((result, expect))
        if result in ("internal", "hang", "malformed"):
            verdict = result
        elif result == "refused" and "bad signal (" in detail and not flag_mode_lists(path, detail):
            verdict = "flag missed"
        if verdict:
            tally[verdict] += 1
            wrong.append(f"{name} ({expect}): {verdict}: {detail}")
        path.unlink()

    problems = {k: tally[k] for k in ("internal", "hang", "malformed", "silent wrong", "false refusal",
                                      "flag missed")}
    assert problems == dict.fromkeys(problems, 0), "\n".join(wrong)
    assert tally["clean"] + tally["refused"] == len(corpus)
    assert tally["clean"] >= kinds[GOOD] and tally["refused"] >= kinds[BAD]


def test_corpus_is_deterministic():
    first, second = build_corpus(seed=0), build_corpus(seed=0)
    assert [(n, e) for n, _, e in first] == [(n, e) for n, _, e in second]
    assert all(a == b for (_, a, _), (_, b, _) in zip(first, second))
