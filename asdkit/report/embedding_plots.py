"""2-D maps of clip embeddings, before and after the graph network.

Projection: t-SNE (perplexity min(30, (N - 1) / 3), PCA initialisation, 500 iterations,
fixed seed) for up to ``TSNE_MAX`` clips, where it separates clusters better; PCA (the
two directions of largest variance) above that, where t-SNE would take minutes on a
laptop. Colour = machine type, marker = label (o normal, x anomalous, . training).
"""
from __future__ import annotations

import numpy as np

from ..formats.clips_table import Clip
from .figures import PALETTE, new_figure, to_base64_png

TSNE_MAX = 1500
_MARKERS = {"normal": "o", "anomaly": "x"}


def project_2d(embeddings: np.ndarray, method: str = "auto", seed: int = 0) -> tuple[np.ndarray, str]:
    """(N, 2) coordinates and the name of the method used."""
    data = np.asarray(embeddings, dtype=np.float64)
    if method == "auto":
        method = "t-SNE" if 5 <= data.shape[0] <= TSNE_MAX else "PCA"
    if method == "t-SNE":
        from sklearn.manifold import TSNE

        perplexity = float(min(30.0, max(2.0, (data.shape[0] - 1) / 3)))
        tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", max_iter=500, random_state=seed)
        return tsne.fit_transform(data), "t-SNE"
    centred = data - data.mean(axis=0)
    if centred.shape[0] < 2 or centred.shape[1] < 2:
        return np.pad(centred[:, :2], ((0, 0), (0, max(0, 2 - centred.shape[1])))), "PCA"
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    return centred @ components[:2].T, "PCA"


def embedding_figure(maps: list[tuple[str, np.ndarray]], clips: list[Clip] | None,
                     method: str = "auto") -> str:
    """Side-by-side maps (title, embeddings) coloured by machine and marked by label."""
    fig, axes = new_figure(1, len(maps), width=6.0 * len(maps), row_height=5.6)
    n_rows = maps[0][1].shape[0]
    machines = np.array([c.machine for c in clips]) if clips else np.full(n_rows, "?")
    labels = np.array([c.label if c.split == "test" else "train" for c in clips]) if clips else np.full(n_rows, "")
    types = sorted(set(machines))
    for ax, (title, embeddings) in zip(axes.flat, maps):
        coords, used = project_2d(embeddings, method)
        for index, machine in enumerate(types):
            colour = PALETTE[index % len(PALETTE)]
            for label in np.unique(labels):
                mask = (machines == machine) & (labels == label)
                if not mask.any():
                    continue
                marker = _MARKERS.get(label, ".")
                ax.scatter(coords[mask, 0], coords[mask, 1], s=14 if marker != "." else 6,
                           marker=marker, color=colour, alpha=0.75 if marker != "." else 0.35,
                           linewidths=1.0)
        ax.set_title(f"{title} ({used}, {embeddings.shape[0]} clips, D={embeddings.shape[1]})")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_color("0.85")
    handles = [axes.flat[0].scatter([], [], color=PALETTE[i % len(PALETTE)], label=m) for i, m in enumerate(types)]
    handles += [axes.flat[0].scatter([], [], color="0.3", marker=_MARKERS.get(k, "."), label=name)
                for k, name in (("normal", "normal (test)"), ("anomaly", "anomalous (test)"), ("train", "training"))]
    axes.flat[0].legend(handles=handles, loc="best", fontsize=8, framealpha=0.85)
    return to_base64_png(fig)
