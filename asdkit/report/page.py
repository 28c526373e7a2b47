"""The HTML of the report: inline CSS, tables, embedded PNGs; no external resources."""
from __future__ import annotations

import html
import math

from ..metrics import EvaluationResult

CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:1280px;margin:0 auto;padding:24px 32px 48px}
header{background:#1d2330;color:#fff;padding:22px 32px}
header h1{margin:0 0 4px;font-size:22px;font-weight:600}
header p{margin:0;color:#aab2c0;font-size:13px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:18px 22px;margin:18px 0}
h2{font-size:17px;margin:0 0 10px;font-weight:600}
p.note{color:#5b6475;font-size:13px;margin:4px 0 10px}
.cards{display:flex;gap:14px;flex-wrap:wrap;margin-bottom:14px}
.card{background:#f4f5f7;border-radius:6px;padding:10px 16px;min-width:150px}
.card .v{font-size:24px;font-weight:600}.card .k{font-size:12px;color:#5b6475}
.card.main{background:#1d2330;color:#fff}.card.main .k{color:#aab2c0}
table{border-collapse:collapse;font-size:13px;width:100%}
th,td{padding:5px 9px;border-bottom:1px solid #e3e6eb;text-align:right;white-space:nowrap}
th{background:#f4f5f7;font-weight:600}th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
tr.summary td{font-weight:600;border-top:2px solid #1d2330}
td .ci{color:#8a93a3;font-size:11px;margin-left:4px}
img{max-width:100%;display:block;margin:6px auto}
ul.missing{margin:0;padding-left:18px;color:#8a5a00;font-size:13px}
ul.warnings{margin:10px 0 0;padding-left:18px;color:#8a5a00;font-size:13px}
span.na{color:#8a5a00}
details{font-size:13px;margin:6px 0}details table{width:auto}
"""


def esc(text: object) -> str:
    return html.escape(str(text))


def _num(value: float | None, digits: int = 4) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


#: what a table shows for a figure the clips leave undefined (the reason is its tooltip)
UNDEFINED = "n/a"


def _undefined(reason: str | None) -> str:
    return f"<span class='na' title='{esc(reason or 'undefined')}'>{UNDEFINED}</span>"


def _with_ci(value: float | None, interval, reason: str | None = None) -> str:
    if value is None:
        return _undefined(reason)
    if interval is None or interval.low != interval.low:
        return _num(value)
    return f"{_num(value)}<span class='ci'>{interval.low:.3f}–{interval.high:.3f}</span>"


def summary_cards(result: EvaluationResult) -> str:
    s = result.summary
    cards = [("official score (DCASE 2024)", s.get("official_score"), True),
             ("h-mean AUC (source)", s.get("hmean_auc_source"), False),
             ("h-mean AUC (target)", s.get("hmean_auc_target"), False),
             ("h-mean pAUC", s.get("hmean_pauc"), False)]
    modern = result.years.get("2024", {})
    if s.get("official_score") is not None and not modern.get("complete", True):
        cards[0] = (f"official score (DCASE 2024), partial: {modern['used']} of {modern['expected']} values",
                    s.get("official_score"), True)
    body = "".join(f"<div class='card{' main' if main else ''}'><div class='v'>{_num(v)}</div>"
                   f"<div class='k'>{esc(k)}</div></div>" for k, v, main in cards)
    interval = s.get("official_score_ci")
    ci = (f"95% jackknife CI of the official score: {interval.low:.4f}–{interval.high:.4f}. "
          if interval is not None and interval.low == interval.low else "")
    partial = {y for y, e in result.years.items() if e.get("score") is not None and not e.get("complete", True)}
    years = ", ".join(f"{y}: {'undefined' if e.get('score') is None else _num(e['score'])}{'*' if y in partial else ''}"
                      for y, e in result.years.items())
    starred = " (* over the defined values only)" if partial else ""
    note = f" {esc(s['note'])}." if s.get("note") else ""
    return (f"<div class='cards'>{body}</div><p class='note'>{ci}Per-year definitions: {esc(years)}{starred}."
            f"{note}</p>")


def metrics_table(result: EvaluationResult) -> str:
    """Sections as rows; AUC/pAUC with CI; P/R/F1 per domain when decisions exist."""
    has_prf = result.has_decisions
    heads = ["machine", "section", "AUC (source)", "AUC (target)", "pAUC"]
    if has_prf:
        heads += ["P src", "R src", "F1 src", "P tgt", "R tgt", "F1 tgt"]
    rows = []
    for m in result.sections:
        cells = [esc(m.machine), esc(m.section)]
        cells += [_with_ci(getattr(m, name), m.ci.get(name), m.undefined.get(name))
                  for name in ("auc_source", "auc_target", "pauc")]
        if has_prf:
            names = [f"{k}_{d}" for d in ("source", "target") for k in ("precision", "recall", "f1")]
            cells += [_undefined(m.undefined.get(n)) if getattr(m, n) is None else _num(getattr(m, n), 3)
                      for n in names]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    s = result.summary
    names = ["hmean_auc_source", "hmean_auc_target", "hmean_pauc"]
    if has_prf:
        names += [f"hmean_{k}_{d}" for d in ("source", "target") for k in ("precision", "recall", "f1")]
    cells = ["harmonic mean", ""] + [_undefined("undefined in every section") if s.get(n) is None
                                     else _num(s[n], 4 if i < 3 else 3) for i, n in enumerate(names)]
    rows.append("<tr class='summary'>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{esc(h)}</th>" for h in heads)
    caption = ("" if result.complete else f"<p class='note'>{UNDEFINED}: undefined, the section lacks the "
               "clips it needs (reason on hover and below); harmonic means over the defined values only.</p>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{caption}"


def warning_list(lines: list[str]) -> str:
    """What the evaluation left out, one item per line (nothing when complete)."""
    if not lines:
        return ""
    items = "".join(f"<li>{esc(line)}</li>" for line in lines)
    return f"<ul class='warnings'>{items}</ul>"


def notes(lines: list[str]) -> str:
    """One-line notes (e.g. panels left out because they would be empty)."""
    return "".join(f"<p class='note'>{esc(line)}</p>" for line in lines)


def threshold_table(thresholds: list[tuple[str, str, float]]) -> str:
    """The decision thresholds drawn on the histograms, collapsed under a <details>."""
    if not thresholds:
        return ""
    rows = "".join(f"<tr data-threshold='{esc(machine)}/{esc(section)}'><td>{esc(machine)}</td>"
                   f"<td>{esc(section)}</td><td>{value:.6g}</td></tr>" for machine, section, value in thresholds)
    return (f"<details class='thresholds'><summary>decision thresholds ({len(thresholds)}, drawn as dashed "
            f"lines)</summary><table><thead><tr><th>machine</th><th>section</th><th>threshold</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></details>")


def key_value_table(pairs: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in pairs)
    return f"<table style='width:auto'><tbody>{body}</tbody></table>"


def image(png_base64: str, alt: str) -> str:
    return f"<img alt='{esc(alt)}' src='data:image/png;base64,{png_base64}'>"


def section(title: str, body: str, note: str = "") -> str:
    note_html = f"<p class='note'>{note}</p>" if note else ""
    return f"<section><h2>{esc(title)}</h2>{note_html}{body}</section>"


def document(title: str, subtitle: str, sections: list[str]) -> str:
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{esc(title)}</title>"
            f"<style>{CSS}</style></head><body><header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>"
            f"<main>{''.join(sections)}</main></body></html>\n")
