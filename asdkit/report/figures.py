"""Matplotlib on the Agg backend, and figures turned into embeddable base64 PNGs."""
from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg", force=True)  # the report is rendered headless, never on a display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402


def _colour_table(name: str) -> tuple[Any, ...]:
    """The colours of a listed (qualitative) colormap such as tab10, as matplotlib holds them."""
    cmap = plt.get_cmap(name)
    assert isinstance(cmap, ListedColormap) and isinstance(cmap.colors, (tuple, list)), name
    return tuple(cmap.colors)


#: one clearly distinct colour per machine type (tab10, then tab20's lighter shades)
PALETTE = _colour_table("tab10") + _colour_table("tab20")[1::2]
DOMAIN_COLOURS = {"source": "#1f77b4", "target": "#d62728"}

plt.rcParams.update({"figure.dpi": 100, "font.size": 9, "axes.titlesize": 10,
                     "axes.spines.top": False, "axes.spines.right": False})


def new_figure(rows: int = 1, cols: int = 1, width: float = 10.0, row_height: float = 3.0, **kwargs):
    """A figure with a ``rows x cols`` grid of axes (always a 2-D array)."""
    return plt.subplots(rows, cols, figsize=(width, row_height * rows), squeeze=False, **kwargs)


def to_base64_png(fig) -> str:
    """PNG bytes of ``fig`` as base64 text; the figure is closed to free memory."""
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def grid_shape(count: int, max_cols: int = 3) -> tuple[int, int]:
    cols = min(max_cols, max(count, 1))
    return -(-max(count, 1) // cols), cols
