"""Two-branch backbone: a MobileNetV2 on the spectrogram next to a spectrum branch.

After Wilkinghoff's dual-branch ASD networks (DCASE 2023): one branch sees the
time-frequency pattern, the other the long-term spectrum, where narrow-band changes
(a worn bearing, a detuned motor) stand out that a crop of a spectrogram averages away.

- **Spectrogram branch:** :class:`~asdkit.backbones.mobilenetv2.MobileNetV2` on the
  standardised log-mel, embedding ``embedding_dim // 2``.
- **Spectrum branch:** the input's long-term spectrum per mel band,
  :math:`\\bar S_m = 10 \\log_{10} \\frac{1}{T} \\sum_t 10^{S_{m,t}/10}` (power averaged
  over *every* frame given: the whole clip at inference, and with
  ``extract --crop-frames 0`` in training too), normalised per band by a BatchNorm,
  then a stack of 1-D convolutions over the bands (kernel 7, stride 2, BatchNorm,
  ReLU) and a linear layer to ``embedding_dim - embedding_dim // 2``.

The input standardisation (``standardize``, fitted by the training loop) feeds the
spectrogram branch; the spectrum branch averages power of the raw dB input.

``forward`` returns the two embeddings concatenated; :meth:`DualBranch.branch_embeddings`
returns them apart, which the ``featex`` objective (feature exchange) uses.

The spectrum branch works on the mel spectrum that the backbone contract provides
(``n_mels`` bands), not on the full-resolution FFT magnitude of the waveform of the
original design: asdkit backbones receive log-mels.

Args:
    width_mult: MobileNetV2 channel multiplier.
    embedding_dim: size of the concatenated embedding (even).
    spectrum_channels: channels of the spectrum branch's convolutions.
    dropout: dropout before each branch's last linear layer.
    n_mels: mel bands of the input (set from the features by ``extract``).

Shapes:
    - **input:** ``(B, 1, n_mels, T)`` log-mel in dB
    - **output:** ``(B, embedding_dim)``; branch embeddings ``(B, D_1)``, ``(B, D_2)``
"""
from typing import List, Tuple

import torch
from torch import Tensor, nn

from ..api import Backbone
from .mobilenetv2 import MobileNetV2
from .standardize import InputStandardizer

SPECTRUM_LAYERS = 4


class DualBranch(Backbone):
    embedding_dim: int

    def __init__(self, *, width_mult: float = 0.5, embedding_dim: int = 128, spectrum_channels: int = 64,
                 dropout: float = 0.2, n_mels: int = 128) -> None:
        super().__init__()
        if embedding_dim < 2:
            raise ValueError(f"embedding_dim must be >= 2, got {embedding_dim}")
        if n_mels < 1 or spectrum_channels < 1:
            raise ValueError("n_mels and spectrum_channels must be >= 1")
        self.embedding_dim = int(embedding_dim)
        first = self.embedding_dim // 2
        self.standardize = InputStandardizer()
        # Its own standardiser stays the identity: self.standardize is applied before it.
        self.spectrogram = MobileNetV2(width_mult=width_mult, embedding_dim=first, dropout=dropout)
        self.spectrum_norm = nn.BatchNorm1d(n_mels)
        self.n_mels = int(n_mels)
        layers: List[nn.Module] = []
        channels, length = 1, n_mels
        for _ in range(SPECTRUM_LAYERS):
            layers += [nn.Conv1d(channels, spectrum_channels, 7, stride=2, padding=3, bias=False),
                       nn.BatchNorm1d(spectrum_channels), nn.ReLU(inplace=True)]
            channels, length = spectrum_channels, (length + 1) // 2
        self.spectrum = nn.Sequential(*layers)
        self.spectrum_head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout),
                                           nn.Linear(channels * length, self.embedding_dim - first),
                                           nn.BatchNorm1d(self.embedding_dim - first))

    @staticmethod
    def long_term_spectrum(x: Tensor) -> Tensor:
        """``(B, 1, M, T) -> (B, 1, M)``: power averaged over time, back in dB (float64 inside:
        10^(S/10) of loud bands overflows float32's range of exact sums)."""
        power = torch.pow(10.0, x.double() / 10.0).mean(dim=-1)
        return (10.0 * torch.log10(power.clamp_min(1e-30))).to(x.dtype)

    def branch_embeddings(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        first = self.spectrogram(self.standardize(x))
        spectrum = self.spectrum_norm(self.long_term_spectrum(x).squeeze(1)).unsqueeze(1)
        second = self.spectrum_head(self.spectrum(spectrum))
        return first, second

    def forward(self, x: Tensor) -> Tensor:
        first, second = self.branch_embeddings(x)
        return torch.cat([first, second], dim=1)
