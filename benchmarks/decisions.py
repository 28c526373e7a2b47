"""Realised false-alarm rate and recall of a scores folder's decisions, per domain.

The decision CSVs say which clips were flagged; the clips' truth comes from their
DCASE development names. Prints, per scores folder, how many normal test clips were
flagged (the false-alarm rate the thresholds realise, against the ``fit
--false-alarm-rate`` they aim at) and how many anomalous ones (recall)::

    python benchmarks/decisions.py RUN/scores [RUN2/scores ...]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from asdkit.formats.names import label_from_name
from asdkit.formats.score_files import find_score_files, read_decision_csv


def counts(scores_dir: Path) -> dict[tuple[str, str], list[int]]:
    """(domain, label) -> [flagged, total] over every decision file."""
    found: dict[tuple[str, str], list[int]] = {}
    for files in find_score_files(scores_dir, "decision_result").values():
        for file in files:
            for name, decision in read_decision_csv(file.path).items():
                truth = label_from_name(name)
                if truth is None:
                    raise SystemExit(f"{file.path}: '{name}' is not a DCASE development name")
                key = ("target" if truth[1] else "source", "anomaly" if truth[0] else "normal")
                cell = found.setdefault(key, [0, 0])
                cell[0] += decision
                cell[1] += 1
    return found


def describe(scores_dir: Path) -> str:
    found = counts(scores_dir)
    parts = []
    for domain in ("source", "target"):
        alarms, normals = found.get((domain, "normal"), [0, 0])
        hits, anomalies = found.get((domain, "anomaly"), [0, 0])
        parts.append(f"{domain}: false alarms {alarms}/{normals} = {alarms / max(normals, 1):.0%}, "
                     f"recall {hits}/{anomalies} = {hits / max(anomalies, 1):.0%}")
    return f"{scores_dir} | " + "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scores", nargs="+", type=Path, help="scores folders (RUN/scores)")
    for folder in parser.parse_args().scores:
        print(describe(folder))


if __name__ == "__main__":
    main()
