"""Torch log-mel: ``torch.stft`` + dense mel matmul, on CPU or CUDA.

The fallback when the native kernel is not available, and the GPU path.

.. math::
    S = 10 \\log_{10} \\max\\big(F\\, |\\mathrm{STFT}_w(\\tilde x)|^2,\\ a_{\\min}\\big)

with the padding rule of :mod:`asdkit.features.params` (reflect, then zero-pad
when the signal is too short to reflect ``n_fft // 2`` samples), applied here
before ``torch.stft(center=False)`` so that short signals follow the same rule.

Shapes:
    - **input:** ``(batch, samples)`` equal-length waves (any float dtype; computed in float32)
    - **output:** ``(batch, n_mels, frames)`` float32, on the input's device
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .params import LogMelParams
from .reference import mel_filterbank


class TorchLogMel(torch.nn.Module):
    def __init__(self, params: LogMelParams) -> None:
        super().__init__()
        self.params = params
        self.register_buffer("window", torch.hann_window(params.n_fft, periodic=True, dtype=torch.float64).float())
        self.register_buffer("filterbank", torch.from_numpy(mel_filterbank(params)).float())
        # The buffers' types, for type checkers (in __init__: TorchScript cannot resolve
        # postponed class-level annotations).
        self.window: Tensor
        self.filterbank: Tensor

    def pad(self, waves: Tensor) -> Tensor:
        pad = self.params.n_fft // 2
        reflect = min(pad, waves.shape[-1] - 1)
        if reflect > 0:
            waves = F.pad(waves.unsqueeze(1), (reflect, reflect), mode="reflect").squeeze(1)
        if pad > reflect:
            waves = F.pad(waves, (pad - reflect, pad - reflect))
        return waves

    def forward(self, waves: Tensor) -> Tensor:
        p = self.params
        spectrum = torch.stft(
            self.pad(waves.float()), n_fft=p.n_fft, hop_length=p.hop_length, window=self.window,
            center=False, return_complex=True,
        )
        power = spectrum.real.square() + spectrum.imag.square()
        mel = torch.matmul(self.filterbank, power)
        return 10.0 * torch.log10(torch.clamp(mel, min=p.amin))


_MODULE_CACHE: dict[tuple[LogMelParams, str], TorchLogMel] = {}


def torch_logmel(waves: Tensor, params: LogMelParams) -> Tensor:
    """Log-mel of a batch ``(B, T)`` on ``waves.device``; the module is cached per (params, device)."""
    key = (params, str(waves.device))
    module = _MODULE_CACHE.get(key)
    if module is None:
        module = _MODULE_CACHE[key] = TorchLogMel(params).to(waves.device)
    with torch.no_grad():
        return module(waves)
