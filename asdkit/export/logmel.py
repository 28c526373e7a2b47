"""Log-mel as plain tensor ops that export to ONNX: reflect pad, framing, DFT by matmuls, mel, log.

The same spec as :mod:`asdkit.features.params` (and the native, torch and NumPy paths):

.. math::
    S[m, t] = 10 \\log_{10} \\max\\Big(\\sum_k F[m, k]\\, |X[k, t]|^2,\\ a_{\\min}\\Big),\\qquad
    X[k, t] = \\sum_n w[n]\\, \\tilde x[t h + n]\\, e^{-2\\pi i k n / N}

``x~`` is the clip reflect-padded by ``N // 2`` on each side (``torch.stft(center=True)``),
so the clip must be longer than ``N // 2`` samples (the signal checks of ``asdkit score``
refuse far shorter clips). No ONNX ``STFT`` operator (many runtimes lack it, and
onnxruntime's is slower): the DFT is built from matmuls.

- **Two-stage DFT** (when the hop ``h`` divides ``N``): one Cooley-Tukey step with
  ``N = N_1 N_2``, ``N_1`` a divisor of ``h``, ``n = n_1 + N_1 n_2``, ``k = N_2 k_1 + k_2``:

  .. math::
      X[N_2 k_1 + k_2] = \\sum_{n_1} e^{-2\\pi i n_1 k_1 / N_1}\\, e^{-2\\pi i n_1 k_2 / N}
          \\sum_{n_2} x[n_1 + N_1 n_2]\\, e^{-2\\pi i n_2 k_2 / N_2}

  Since ``N_1`` divides ``h``, sample ``n_1 + N_1 n_2`` of every frame lies in phase
  ``n_1`` of the padded clip split ``N_1`` ways: the clip is de-interleaved once into
  ``(N_1, samples / N_1)`` and frames are views of that. The inner sum, with the window
  and the twiddle folded in, is one real-to-complex matmul per phase (constant on the
  right); the outer sum one matmul with a constant on the left over whole clips: large
  GEMMs, no elementwise complex products, no per-frame transposes, and
  about ``N (2 N_2 + 2 N_1)`` multiply-adds per frame instead of the ``N (N + 2)`` of a
  dense DFT (8x fewer at ``N = 1024``; the outer sum only for the ``k_1`` that reach
  ``k <= N/2``). ``k = N_2 k_1 + k_2`` is row-major in ``(k_1, k_2)``: the first
  ``N/2 + 1`` of the flattened output are the bins, in order.
- **Dense DFT** otherwise: frames gathered from the padded clip, one matmul with
  ``[w[n] cos(2 pi k n / N) | -w[n] sin(2 pi k n / N)]``.

The DFT runs in float64 (about 5% slower under onnxruntime than float32): its sums
cancel large terms into the quiet bins next to loud ones, where float32 matmuls come out
up to ~4x less accurate than an FFT (a dense DFT far worse). The power spectrum is
cast back to float32 for the mel matmul and the log: the result is closer to the float64
reference than asdkit's own float32 log-mel paths.

Shapes:
    - **input:** ``(B, samples)`` float32 at the model's rate, ``samples > n_fft // 2``
    - **output:** ``(B, n_mels, frames)``, ``frames = 1 + (samples + 2 (N // 2) - N) // h``
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..features import LogMelParams, mel_filterbank, periodic_hann


def _angles(rows: int, cols: int, size: int) -> np.ndarray:
    """``2 pi (r c mod size) / size`` for ``r < rows``, ``c < cols`` (reduced: exact arguments)."""
    return 2.0 * np.pi * (np.outer(np.arange(rows), np.arange(cols)) % size) / size


def dense_dft(n_fft: int) -> np.ndarray:
    """``(n_fft, 2 (n_fft // 2 + 1))`` float64: windowed cosines, then windowed minus-sines."""
    phase = _angles(n_fft, n_fft // 2 + 1, n_fft)  # [n, k]
    window = periodic_hann(n_fft)[:, None]
    return np.concatenate([np.cos(phase) * window, -np.sin(phase) * window], axis=1)


def split_size(n_fft: int, hop: int) -> tuple[int, int]:
    """``(N_1, N_2)``, ``N_1 N_2 = n_fft``, ``N_1`` the largest divisor of ``hop`` that is
    ``<= sqrt(n_fft)``; ``(1, n_fft)`` when the hop does not divide ``n_fft``."""
    if n_fft % hop:
        return 1, n_fft
    n1 = next(d for d in range(math.isqrt(n_fft), 0, -1) if hop % d == 0)
    return n1, n_fft // n1


def two_stage_constants(n_fft: int, hop: int) -> dict[str, np.ndarray]:
    """The two-stage DFT's matrices (module docstring), float64.

    - ``inner`` ``(N_1, 2, N_2, N_2)``: for phase ``n_1``, ``[re, im]`` rows ``n_2`` and
      columns ``k_2`` of ``w[n_1 + N_1 n_2]\\, e^{-2 pi i (n_2 k_2 / N_2 + n_1 k_2 / N)}``:
      window, inner DFT and twiddle in one real-to-complex matrix per phase
    - ``outer`` ``(2 K_1, 2 N_1)``: rows ``[re k_1; im k_1]``, columns ``(n_1, re|im)``
      interleaved, of ``e^{-2 pi i n_1 k_1 / N_1}``; only the ``K_1 = (N // 2) // N_2 + 1``
      rows ``k_1`` that reach bins ``k <= N / 2`` (half the work)
    """
    n1, n2 = split_size(n_fft, hop)
    phase = _angles(n2, n2, n2)[None] + _angles(n1, n2, n_fft)[:, None, :]  # [n1, n2, k2]
    window = periodic_hann(n_fft).reshape(n2, n1).T[:, :, None]  # [n1, n2, 1]
    inner = np.stack([np.cos(phase) * window, -np.sin(phase) * window], axis=1)
    angle = _angles((n_fft // 2) // n2 + 1, n1, n1)  # [k1, n1]
    c, s = np.cos(angle), -np.sin(angle)
    outer = np.empty((2, angle.shape[0], n1, 2))
    # (a + ib)(c + is) = (ac - bs) + i(as + bc), with a, b the (re, im) columns of each n1
    outer[0, :, :, 0], outer[0, :, :, 1] = c, -s
    outer[1, :, :, 0], outer[1, :, :, 1] = s, c
    return {"inner": inner, "outer": outer.reshape(2 * angle.shape[0], 2 * n1)}


class OnnxLogMel(nn.Module):
    """Waveforms ``(B, samples)`` -> log-mel ``(B, n_mels, frames)`` by exportable ops."""

    def __init__(self, params: LogMelParams) -> None:
        super().__init__()
        self.n_fft, self.hop, self.n_bins = params.n_fft, params.hop_length, params.n_bins
        self.amin = float(params.amin)
        self.n1, self.n2 = split_size(params.n_fft, params.hop_length)
        self.two_stage = self.n1 > 1
        self.register_buffer("filterbank_t", torch.from_numpy(mel_filterbank(params).T.copy()).float())
        if self.two_stage:
            for name, value in two_stage_constants(params.n_fft, params.hop_length).items():
                self.register_buffer(name, torch.from_numpy(np.ascontiguousarray(value)))
        else:
            self.register_buffer("dft", torch.from_numpy(dense_dft(params.n_fft)))
        # The buffers' types, for type checkers (those of the other DFT are not registered).
        self.filterbank_t: Tensor
        self.inner: Tensor
        self.outer: Tensor
        self.dft: Tensor

    def phase_frames(self, padded: Tensor) -> Tensor:
        """``(B, N_1, T, N_2)``: sample ``n_1 + N_1 n_2`` of frame ``t`` at ``[:, n_1, t, n_2]``."""
        b, n1, n2 = padded.shape[0], self.n1, self.n2
        step = self.hop // n1  # a frame advances this many samples in each phase
        chunks = padded.shape[1] // self.hop
        phases = padded[:, :chunks * self.hop].reshape(b, chunks * step, n1).transpose(1, 2)
        phases = phases.reshape(b, n1, chunks, step)
        count = chunks - self.n_fft // self.hop + 1
        return torch.cat([phases[:, :, i:i + count] for i in range(n2 // step)], dim=-1)

    def power_two_stage(self, padded: Tensor) -> Tensor:
        """``(B, T, bins)`` power spectrum by the two-stage DFT."""
        x = self.phase_frames(padded.double())  # float64: module docstring
        b, t = x.shape[0], x.shape[2]
        y = torch.matmul(x.unsqueeze(2), self.inner)  # (B, N1, 2, T, N2): windowed, twiddled re | im
        k1 = self.outer.shape[0] // 2
        spec = torch.matmul(self.outer, y.reshape(b, 2 * self.n1, t * self.n2))
        spec = spec.reshape(b, 2, k1, t, self.n2)
        power = (spec[:, 0].square() + spec[:, 1].square()).float()  # (B, K1, T, K2)
        return power.permute(0, 2, 1, 3).reshape(b, t, k1 * self.n2)[:, :, :self.n_bins]

    def power_dense(self, padded: Tensor) -> Tensor:
        """``(B, T, bins)`` power spectrum by a dense DFT, in float64 (module docstring)."""
        count = (padded.shape[1] - self.n_fft) // self.hop + 1
        starts = torch.arange(count, device=padded.device) * self.hop
        frames = padded[:, starts.unsqueeze(1) + torch.arange(self.n_fft, device=padded.device)]  # (B, T, N)
        spectrum = torch.matmul(frames.double(), self.dft)  # (B, T, 2 bins): windowed re | im, float64
        real, imag = spectrum[..., :self.n_bins], spectrum[..., self.n_bins:]
        return (real * real + imag * imag).float()

    def forward(self, waves: Tensor) -> Tensor:
        pad = self.n_fft // 2
        # (B, samples) pads as (channels, samples): no squeeze, which would export as an If
        padded = F.pad(waves, (pad, pad), mode="reflect")
        power = self.power_two_stage(padded) if self.two_stage else self.power_dense(padded)
        mel = torch.matmul(power, self.filterbank_t).transpose(1, 2)  # (B, n_mels, T)
        # 10 log10(v) = (10 / ln 10) ln(v): ONNX has Log (natural) only.
        return (10.0 / math.log(10.0)) * torch.log(torch.clamp(mel, min=self.amin))
