"""Seed-grouped results tables, in Markdown, CSV and LaTeX, from a :class:`Comparison`.

One row per machine type and section with AUC (source), AUC (target) and pAUC, then
the overall rows (official score and the harmonic means); one column block per group
of runs that differ only in their seed, each cell ``mean ± std`` over the seeds (std
with ddof = 1; no ``±`` for a single run; ``-`` where undefined). The layout follows
the challenge's per-machine result tables. Every format comes from the same rows.
"""
from __future__ import annotations

import csv
import io

from .compare import SECTION_METRICS, SUMMARY_METRICS, Comparison

TABLE_FORMATS = ("md", "csv", "latex")
_NAMES = {"auc_source": "AUC (source)", "auc_target": "AUC (target)", "pauc": "pAUC",
          "official_score": "official score", "hmean_auc_source": "hmean AUC (source)",
          "hmean_auc_target": "hmean AUC (target)", "hmean_pauc": "hmean pAUC"}


def _cell(stat: dict, plus_minus: str) -> str:
    if stat["mean"] is None:
        return "-"
    text = f"{stat['mean']:.4f}"
    return text + (f" {plus_minus} {stat['std']:.4f}" if stat["n"] > 1 else "")


def table_rows(comparison: Comparison, plus_minus: str = "±") -> tuple[list[str], list[list[str]]]:
    """Header and rows of the results table as text cells."""
    header = ["machine", "section"]
    for group in comparison.groups:
        header += [f"{group.label}: {_NAMES[m]}" for m in SECTION_METRICS]
    by_key = {}
    for row in comparison.rows():
        by_key[(row["machine"], row["section"], row["metric"])] = row["groups"]
    rows = []
    for machine, section in comparison.sections:
        cells = [machine, section]
        for g in range(len(comparison.groups)):
            cells += [_cell(by_key[(machine, section, m)][g], plus_minus) for m in SECTION_METRICS]
        rows.append(cells)
    for metric in SUMMARY_METRICS:
        cells = ["ALL", _NAMES[metric]]
        for g in range(len(comparison.groups)):
            value = _cell(by_key[("ALL", "", metric)][g], plus_minus)
            cells += [value] + [""] * (len(SECTION_METRICS) - 1)
        rows.append(cells)
    return header, rows


def markdown_table(comparison: Comparison) -> str:
    header, rows = table_rows(comparison)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def csv_table(comparison: Comparison) -> str:
    header, rows = table_rows(comparison, plus_minus="+-")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _latex_escape(text: str) -> str:
    for char, escaped in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"),
                          ("#", r"\#"), ("$", r"\$"), ("{", r"\{"), ("}", r"\}")):
        text = text.replace(char, escaped)
    return text


def latex_table(comparison: Comparison) -> str:
    """A ``tabular`` (booktabs rules) with one multicolumn header per group."""
    header, rows = table_rows(comparison, plus_minus=r"$\pm$")
    n_metrics = len(SECTION_METRICS)
    columns = "ll" + "r" * (n_metrics * len(comparison.groups))
    groups = " & ".join(rf"\multicolumn{{{n_metrics}}}{{c}}{{{_latex_escape(g.label)}}}" for g in comparison.groups)
    metric_names = " & ".join(_NAMES[m] for _ in comparison.groups for m in SECTION_METRICS)
    lines = [rf"\begin{{tabular}}{{{columns}}}", r"\toprule", rf" & & {groups} \\",
             rf"machine & section & {metric_names} \\", r"\midrule"]
    for i, row in enumerate(rows):
        if row[0] == "ALL" and (i == 0 or rows[i - 1][0] != "ALL"):
            lines.append(r"\midrule")
        cells = [_latex_escape(c) if "$" not in c else c for c in row]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def results_table(comparison: Comparison, fmt: str) -> str:
    """The table in one of :data:`TABLE_FORMATS`."""
    return {"md": markdown_table, "csv": csv_table, "latex": latex_table}[fmt](comparison)
