"""``asdkit evaluate``: official DCASE metrics of one run, or several side by side."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click
from rich.table import Table

from ..metrics import Comparison, EvaluationResult, compare_runs, evaluate_run
from ..utils import atomic_write_text
from .app import err, out

_DOMAINS = ("source", "target")
#: what the single-run table shows for a figure the data leave undefined
UNDEFINED = "n/a"


def _fmt(value: float | None, digits: int = 4) -> str:
    return UNDEFINED if value is None else f"{value:.{digits}f}"


def _with_ci(value: float | None, interval) -> str:
    if value is None:
        return f"[yellow]{UNDEFINED}[/]"
    if interval is None or interval.low != interval.low:  # NaN interval: too few clips
        return _fmt(value)
    return f"{value:.4f} [dim]({interval.low:.3f}-{interval.high:.3f})[/]"


def _prf_cells(values: list[float | None]) -> list[str]:
    return [f"[yellow]{UNDEFINED}[/]" if v is None else _fmt(v, 3) for v in values]


def result_table(result: EvaluationResult, title: str) -> Table:
    """Machines/sections as rows, AUC/pAUC (with 95 % CI) and P/R/F1 as columns."""
    has_decisions = result.has_decisions
    caption = (f"(low-high): jackknife {result.confidence:.0%} CI; pAUC max FPR {result.max_fpr}; "
               f"ground truth: {result.ground_truth}")
    if not result.complete:
        caption += (f"\n{UNDEFINED}: undefined, the section lacks the clips it needs; "
                    "harmonic means and scores over the defined values only")
    table = Table(title=title, caption=caption)
    for column in ("machine", "section", "AUC (source)", "AUC (target)", "pAUC"):
        table.add_column(column, justify="left" if column in ("machine", "section") else "right")
    if has_decisions:
        for column in ("P src", "R src", "F1 src", "P tgt", "R tgt", "F1 tgt"):
            table.add_column(column, justify="right")
    for m in result.sections:
        row = [m.machine, m.section, _with_ci(m.auc_source, m.ci.get("auc_source")),
               _with_ci(m.auc_target, m.ci.get("auc_target")), _with_ci(m.pauc, m.ci.get("pauc"))]
        if has_decisions:
            row += _prf_cells([getattr(m, f"{metric}_{domain}")
                               for domain in _DOMAINS for metric in ("precision", "recall", "f1")])
        table.add_row(*row)
    s = result.summary
    footer = ["[bold]harmonic mean[/]", "", _fmt(s.get("hmean_auc_source")), _fmt(s.get("hmean_auc_target")),
              _fmt(s.get("hmean_pauc"))]
    if has_decisions:
        footer += [_fmt(s.get(f"hmean_{metric}_{domain}"), 3)
                   for domain in _DOMAINS for metric in ("precision", "recall", "f1")]
    table.add_section()
    table.add_row(*footer)
    return table


def _partial(entry: dict) -> bool:
    return entry.get("score") is not None and not entry.get("complete", True)


def summary_lines(result: EvaluationResult) -> list[str]:
    """The official score with its interval, then every year's score (* = partial)."""
    s = result.summary
    modern = result.years.get("2024", {})
    lines = []
    if s.get("official_score") is None:
        lines.append(f"[bold]official score (DCASE 2024)[/]: undefined - {s.get('note', '')}")
    else:
        interval = s.get("official_score_ci")
        ci = f" (95% CI {interval.low:.4f}-{interval.high:.4f})" if interval and interval.low == interval.low else ""
        partial = (f"  [yellow]partial: over {modern['used']} of {modern['expected']} values, the undefined "
                   "left out; not the task's official figure[/]" if _partial(modern) else "")
        lines.append(f"[bold]official score (DCASE 2024)[/]: [bold green]{s['official_score']:.4f}[/]{ci}{partial}")
        lines.append(f"source score (AUC src + pAUC) {_fmt(s.get('source_score'))}   "
                     f"target score (AUC tgt + pAUC) {_fmt(s.get('target_score'))}   "
                     f"arithmetic mean of AUCs {_fmt(s.get('arithmetic_mean'))}")
    years = "   ".join(f"{year}: {'undefined' if entry.get('score') is None else _fmt(entry['score'])}"
                       f"{'*' if _partial(entry) else ''}" for year, entry in result.years.items())
    starred = "  (* over the defined values only)" if any(_partial(e) for e in result.years.values()) else ""
    lines.append(f"[dim]per-year definitions: {years}{starred}[/]")
    return lines


def warning_lines(result: EvaluationResult, prefix: str = "") -> list[str]:
    """``warning: ...`` lines for stderr: what the data leave undefined (empty when complete)."""
    return [f"[yellow]warning:[/] {prefix}{line}" for line in result.warnings]


def print_evaluation(result: EvaluationResult, title: str) -> None:
    """The table and summary on stdout, what was left out as warnings on stderr."""
    out.print(result_table(result, title))
    for line in summary_lines(result):
        out.print(line)
    for line in warning_lines(result):
        err.print(line)


def _cell(stat: dict, is_first: bool) -> str:
    if stat["mean"] is None:
        return "-"
    text = f"{stat['mean']:.4f}"
    if stat["n"] > 1:
        text += f" ± {stat['std']:.4f}"
    if not is_first and stat["diff"] is not None:
        colour = "green" if stat["diff"] > 0 else "red" if stat["diff"] < 0 else "dim"
        text += f" [{colour}]({stat['diff']:+.4f})[/]"
    return text


def comparison_table(comparison: Comparison) -> Table:
    """Rows (machine, section, metric); one column per group; differences to the first."""
    table = Table(title="asdkit evaluate: comparison",
                  caption="mean ± std over seeds; (difference to the first column)")
    for column in ("machine", "section", "metric"):
        table.add_column(column)
    for group in comparison.groups:
        table.add_column(group.label, justify="right")
    previous_machine = None
    for row in comparison.rows():
        if row["machine"] == "ALL" and previous_machine != "ALL":
            table.add_section()
        previous_machine = row["machine"]
        table.add_row(row["machine"], row["section"], row["metric"],
                      *[_cell(cell, i == 0) for i, cell in enumerate(row["groups"])])
    return table


def _csv_text(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    return buffer.getvalue()


def _comparison_rows(comparison: Comparison) -> list[dict]:
    flat = []
    for row in comparison.rows():
        entry = {"machine": row["machine"], "section": row["section"], "metric": row["metric"]}
        for group, cell in zip(comparison.groups, row["groups"]):
            for key in ("mean", "std", "n", "diff"):
                entry[f"{group.label}:{key}"] = cell[key]
        flat.append(entry)
    return flat


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        atomic_write_text(output, text)
        click.echo(f"wrote {output}", err=True)


@click.command("evaluate")
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--ground-truth", "ground_truth", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Official ground-truth folder (ground_truth_data/, ground_truth_domain/). "
                   "Default: RUN/clips.csv, else the DCASE development file names.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON (metrics.json schema).")
@click.option("--csv", "as_csv", is_flag=True, help="One CSV row per machine/section.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write --json/--csv output to this file (atomically) instead of stdout.")
@click.option("--no-ci", is_flag=True, help="Skip the jackknife confidence intervals (faster).")
@click.option("--table", "table_format", type=click.Choice(["md", "csv", "latex"]),
              help="The seed-grouped results table (per machine/section and overall, mean ± std over "
                   "seeds) as Markdown, CSV or LaTeX, instead of the terminal table.")
@click.option("--significance", is_flag=True,
              help="Paired bootstrap over clips: is each group's official score different from the first's?")
@click.option("--bootstrap", "replicates", type=click.IntRange(min=10), default=1000, show_default=True,
              help="Bootstrap replicates for --significance.")
def command(runs: tuple[Path, ...], ground_truth: Path | None, as_json: bool, as_csv: bool,
            output: Path | None, no_ci: bool, table_format: str | None, significance: bool,
            replicates: int) -> None:
    """AUC (source/target), pAUC, P/R/F1 and the official DCASE score of RUN(s).

    A RUN is a folder with scores/ (anomaly_score_<machine>_section_NN_test.csv,
    decision_result_...) or a scores folder itself. With several RUNs they are shown
    side by side with the difference to the first; runs whose config.json differ only
    in the seed are grouped as mean ± std.

    A figure the clips do not allow (e.g. AUC of a section without normal clips) is
    shown as n/a and left out of the harmonic means and scores, with a warning on
    stderr saying what was left out; the exit status is still 0.

    \b
    Example:
      asdkit evaluate run/
      asdkit evaluate run/scores --ground-truth dcase2024_task2_evaluator/ --csv -o metrics.csv
      asdkit evaluate base_seed1 base_seed2 gnn_seed1 gnn_seed2
    """
    if sum(map(bool, (as_json, as_csv, table_format))) > 1:
        raise click.UsageError("choose one of --json, --csv and --table")
    if output is not None and not (as_json or as_csv or table_format):
        raise click.UsageError("-o/--output needs --json, --csv or --table")
    if significance and len(runs) < 2:
        raise click.UsageError("--significance compares at least two runs")
    if len(runs) == 1 and not table_format:
        entry = evaluate_run(runs[0], ground_truth, with_ci=not no_ci)
        if as_json:
            _emit(json.dumps(entry.result.to_dict(), indent=2) + "\n", output)
        elif as_csv:
            _emit(_csv_text(entry.result.rows()), output)
        else:
            print_evaluation(entry.result, f"asdkit evaluate: {entry.name}")
            return
        for line in warning_lines(entry.result):
            err.print(line)
        return
    comparison = compare_runs(list(runs), ground_truth)
    for group in comparison.groups:
        for run in group.runs:
            for line in warning_lines(run.result, f"{run.name}: "):
                err.print(line)
    notes = _significance_notes(comparison, ground_truth, replicates) if significance else []
    if as_json:
        data = comparison.to_dict()
        if significance:
            data["significance"] = [note.to_dict() for note in notes]
        _emit(json.dumps(data, indent=2) + "\n", output)
    elif as_csv:
        _emit(_csv_text(_comparison_rows(comparison)), output)
    elif table_format:
        from ..metrics.tables import results_table

        _emit(results_table(comparison, table_format), output)
    else:
        out.print(comparison_table(comparison))
    for note in notes:
        err.print(note.note(), markup=False, highlight=False)


def _significance_notes(comparison: Comparison, ground_truth: Path | None, replicates: int) -> list:
    """Each group against the first, by a paired bootstrap over the clips (all seeds of a group)."""
    from ..metrics.compare import run_sections
    from ..metrics.significance import paired_bootstrap

    if len(comparison.groups) < 2:
        raise click.UsageError("--significance needs two different methods; these runs differ only in "
                               "their seed (one group)")
    first = comparison.groups[0]
    method_a = [run_sections(r.path, ground_truth) for r in first.runs]
    return [paired_bootstrap(method_a, [run_sections(r.path, ground_truth) for r in group.runs],
                             (first.label, group.label), replicates)
            for group in comparison.groups[1:]]
