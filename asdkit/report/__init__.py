"""Visual HTML report of a RUN folder (metrics, ROC, histograms, embedding maps, graph, curves).

- :func:`build_report` (run_dir) -> self-contained HTML string
- :func:`write_report` (run_dir, output) -> path written atomically
- :func:`load_run` - the artifacts a RUN folder holds, and what it lacks
- :func:`render_report` (artifacts) -> HTML string; :func:`render_report_and_notes` also
  returns the lines on what the report could not show

matplotlib is imported only when a figure is drawn (the ``report`` extra).
"""
from .artifacts import RunArtifacts, load_run
from .build import build_report, render_report, render_report_and_notes, write_report

__all__ = ["RunArtifacts", "build_report", "load_run", "render_report", "render_report_and_notes", "write_report"]
