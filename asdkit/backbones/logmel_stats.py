"""Log-mel statistics: the no-learning embedding every learnt method must beat.

Each clip becomes the mean and the standard deviation over time of every mel band
(in dB), concatenated:

.. math::
    e = \\big[\\mu_1, \\dots, \\mu_M, \\sigma_1, \\dots, \\sigma_M\\big],\\quad
    \\mu_m = \\frac{1}{T}\\sum_t S[m, t],\\quad
    \\sigma_m = \\sqrt{\\frac{1}{T}\\sum_t (S[m, t] - \\mu_m)^2}

Nothing is trained (no parameters): ``extract --backbone logmel_stats`` skips training
and writes these vectors as the embeddings. With a nearest-neighbour scorer on them
(``fit --gnn none --score-on embedding --scorer knn --scorer-opt k=1``: cosine
distance to the closest training clip of the machine type) it is the simple detector
of the accuracy table (``benchmarks/accuracy.py``, method ``logmel_knn``).

Args:
    n_mels: mel bands of the input (set from the features by ``extract``).
    embedding_dim: ``2 * n_mels`` (the default ``0`` means exactly that); any other
        value is refused, since nothing is learnt that could change the size.

Shapes:
    - **input:** ``(B, 1, n_mels, T)``, ``T >= 1``
    - **output:** ``(B, 2 * n_mels)``
"""
import torch
from torch import Tensor

from ..api import Backbone


class LogMelStats(Backbone):
    embedding_dim: int
    trainable = False  # extract embeds without training

    def __init__(self, *, n_mels: int = 128, embedding_dim: int = 0) -> None:
        super().__init__()
        if n_mels < 1:
            raise ValueError(f"n_mels must be >= 1, got {n_mels}")
        if embedding_dim not in (0, 2 * n_mels):
            raise ValueError(f"embedding_dim is 2 * n_mels = {2 * n_mels} for log-mel statistics, got {embedding_dim}")
        self.n_mels = int(n_mels)
        self.embedding_dim = 2 * self.n_mels

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 1 or x.shape[2] != self.n_mels:
            raise ValueError(f"expected (B, 1, {self.n_mels}, T) log-mels, got {tuple(x.shape)}")
        frames = x[:, 0]
        mean = frames.mean(dim=-1)
        std = frames.std(dim=-1, unbiased=False) if frames.shape[-1] > 1 else torch.zeros_like(mean)
        return torch.cat([mean, std], dim=1)
