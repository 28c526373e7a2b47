"""The DCASE Task 2 autoencoder baseline as a backbone.

Source: the official DCASE 2020-2024 Task 2 baselines (Koizumi et al., "Description
and discussion on DCASE2020 Challenge Task2", DCASE 2020; repositories
``y-kawagu/dcase2020_task2_baseline`` and ``nttcslab/dcase2023_task2_baseline_ae``).
Each clip's log-mel is cut into all windows of ``frames`` consecutive frames
(hop ``hop``), each flattened frame-major to a vector of ``frames * n_mels``
(= 5 x 128 = 640), and a fully connected autoencoder reconstructs it::

    640 -> 128 -> 128 -> 128 -> 128 -> 8 -> 128 -> 128 -> 128 -> 128 -> 640
    (every layer but the last: Linear -> BatchNorm1d -> ReLU; the last is Linear)

Training minimises the mean squared reconstruction error (:meth:`training_loss`).
The clip "embedding" (``forward``) is the per-dimension squared error averaged over
the clip's ``V`` vectors,

.. math::
    e_d = \\frac{1}{V} \\sum_{v=1}^{V} (x_{v,d} - \\hat{x}_{v,d})^2 ,

whose mean over ``d`` is the baseline's anomaly score
(:class:`asdkit.scorers.reconstruction.ReconstructionErrorScorer`).
The DCASE baseline does not standardise its input; here ``standardize=True`` (the
default) applies the per-band standardisation the other backbones use, fitted by
:func:`~asdkit.backbones.train.train_backbone`, so training converges in a few
epochs instead of spending them learning the dB offset (errors are then in units of
each band's std). ``standardize=False`` is the verbatim DCASE input.

Shapes:
    - **input:** ``(B, 1, n_mels, T)`` with ``T >= frames``
    - **vectors:** ``(B, V, frames * n_mels)``, ``V = (T - frames) // hop + 1``
    - **output:** ``(B, frames * n_mels)`` = ``(B, embedding_dim)``
"""
from typing import List

from torch import Tensor, nn

from ..api import Backbone
from .standardize import InputStandardizer


def _dense(in_dim: int, out_dim: int) -> List[nn.Module]:
    return [nn.Linear(in_dim, out_dim), nn.BatchNorm1d(out_dim), nn.ReLU(inplace=True)]


class AEBaseline(Backbone):
    """Frame-window autoencoder; embedding = per-dimension reconstruction error.

    Args:
        n_mels: mel bands of the input.
        frames: consecutive frames per vector.
        hop: frames between consecutive vectors (1 = every window, as DCASE).
        hidden: width of the four hidden layers on each side.
        bottleneck: width of the code layer.
        embedding_dim: must equal ``n_mels * frames`` (the error vector's size).
        standardize: standardise input per band (DCASE's baseline does not).
    """

    # Real (not string) annotations: TorchScript cannot read the contract's postponed ones.
    embedding_dim: int

    def __init__(
        self,
        *,
        n_mels: int = 128,
        frames: int = 5,
        hop: int = 1,
        hidden: int = 128,
        bottleneck: int = 8,
        embedding_dim: int = 640,
        standardize: bool = True,
    ) -> None:
        super().__init__()
        if min(n_mels, frames, hop, hidden, bottleneck) < 1:
            raise ValueError("n_mels, frames, hop, hidden and bottleneck must be positive")
        if embedding_dim != n_mels * frames:
            raise ValueError(
                f"embedding_dim must equal n_mels * frames = {n_mels * frames}, got {embedding_dim}"
            )
        self.n_mels, self.frames, self.hop = int(n_mels), int(frames), int(hop)
        self.embedding_dim = int(embedding_dim)
        if standardize:
            self.standardize: nn.Module = InputStandardizer()
        else:
            self.standardize = nn.Identity()
        dim = self.embedding_dim
        self.encoder = nn.Sequential(
            *_dense(dim, hidden), *_dense(hidden, hidden), *_dense(hidden, hidden), *_dense(hidden, hidden),
            *_dense(hidden, bottleneck),
        )
        self.decoder = nn.Sequential(
            *_dense(bottleneck, hidden), *_dense(hidden, hidden), *_dense(hidden, hidden), *_dense(hidden, hidden),
            nn.Linear(hidden, dim),
        )

    def vectors(self, x: Tensor) -> Tensor:
        """All ``frames``-frame windows, flattened frame-major: ``(B, V, frames * n_mels)``."""
        if x.shape[-2] != self.n_mels:
            raise ValueError(f"AE baseline expects {self.n_mels} mel bands, got {x.shape[-2]}")
        if x.shape[-1] < self.frames:
            raise ValueError(f"AE baseline needs at least {self.frames} frames, got {x.shape[-1]}")
        windows = self.standardize(x)[:, 0].unfold(-1, self.frames, self.hop)  # (B, F, V, frames)
        return windows.permute(0, 2, 3, 1).reshape(x.shape[0], -1, self.embedding_dim)

    def reconstruct(self, vectors: Tensor) -> Tensor:
        flat = vectors.reshape(-1, self.embedding_dim)
        return self.decoder(self.encoder(flat)).reshape(vectors.shape)

    def forward(self, x: Tensor) -> Tensor:
        v = self.vectors(x)
        return (v - self.reconstruct(v)).pow(2).mean(dim=1)

    def training_loss(self, x: Tensor, labels: Tensor) -> Tensor:  # noqa: ARG002 - reconstruction needs no labels
        v = self.vectors(x)
        return (v - self.reconstruct(v)).pow(2).mean()
