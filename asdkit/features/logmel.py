"""Public log-mel API: one entry point over the native, torch and NumPy backends.

.. math::
    S[m, t] = 10 \\log_{10} \\max\\big(\\textstyle\\sum_k F[m, k]\\, |X[k, t]|^2,\\ a_{\\min}\\big)

(the full spec is in :mod:`asdkit.features.params`). Backends:

- ``"native"``: the fused C++ kernel (power-of-two ``n_fft >= 16`` only), multithreaded;
- ``"torch"``: ``torch.stft`` + mel matmul on ``device`` (CPU or CUDA), any ``n_fft``;
- ``"numpy"``: the float64 reference, cast to float32 (slow; for checks);
- ``"auto"``: native when available, on CPU, and ``n_fft`` is supported; torch otherwise.

Shapes:
    - **input:** ``(samples,)`` or a list of ``(samples_i,)``
    - **output:** list of ``(n_mels, frames_i)`` float32; :func:`logmel_tensor` stacks
      equal-length clips into ``(batch, n_mels, frames)`` on ``device``
"""
from __future__ import annotations

import contextlib
from functools import lru_cache
from typing import Any, Iterator, Sequence

import numpy as np

from .._native_loader import native_available, native_module
from ..errors import ConfigError, InputError
from .params import LogMelParams
from .reference import mel_filterbank, periodic_hann, reference_logmel
from .validation import checked_clips

BACKENDS = ("auto", "native", "torch", "numpy")


def native_supports(params: LogMelParams) -> bool:
    """Whether the C++ kernel handles these params (power-of-two n_fft >= 16)."""
    n = params.n_fft
    return n >= 16 and (n & (n - 1)) == 0


@lru_cache(maxsize=16)
def native_plan(params: LogMelParams) -> Any:
    """The compiled kernel's plan for ``params`` (window and filterbank from the reference)."""
    window = periodic_hann(params.n_fft).astype(np.float32)
    filterbank = mel_filterbank(params).astype(np.float32)
    module = native_module()
    if module is None:
        raise ConfigError("backend 'native' requested but the native extension is not available")
    return module.LogMelPlan(params.n_fft, params.hop_length, window, filterbank, params.amin)


def _is_cpu(device: Any) -> bool:
    return device is None or str(device).split(":")[0] == "cpu"


def resolve_backend(backend: str, params: LogMelParams, device: Any = None) -> str:
    if backend not in BACKENDS:
        raise ConfigError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        return "native" if native_available() and _is_cpu(device) and native_supports(params) else "torch"
    if backend == "native":
        if not native_available():
            raise ConfigError("backend 'native' requested but the native extension is not available")
        if not native_supports(params):
            raise ConfigError(f"backend 'native' needs n_fft a power of two >= 16, got {params.n_fft}")
        if not _is_cpu(device):
            raise ConfigError(f"backend 'native' runs on the CPU only, got device {device}")
    return backend


@contextlib.contextmanager
def _torch_threads(num_threads: int | None) -> Iterator[None]:
    import torch

    if num_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _torch_batches(clips: list[np.ndarray], params: LogMelParams, device: Any) -> Iterator[tuple[list[int], Any]]:
    """(clip indices, (B, n_mels, frames) tensor) for each group of equal-length clips."""
    import torch

    from .torch_logmel import torch_logmel

    by_length: dict[int, list[int]] = {}
    for i, clip in enumerate(clips):
        by_length.setdefault(len(clip), []).append(i)
    for indices in by_length.values():
        batch = torch.from_numpy(np.stack([clips[i] for i in indices])).to(device or "cpu")
        yield indices, torch_logmel(batch, params)


def compute_logmel(
    waves: Any,
    params: LogMelParams | None = None,
    *,
    names: Sequence[str] | None = None,
    num_threads: int | None = None,
    backend: str = "auto",
    device: Any = None,
) -> list[np.ndarray]:
    """Log-mel spectrograms of one clip or a list of clips of any lengths."""
    params = params or LogMelParams()
    chosen = resolve_backend(backend, params, device)
    if num_threads is not None and num_threads < 1:
        raise ConfigError(f"num_threads must be >= 1, got {num_threads}")
    if chosen == "numpy":
        clips = checked_clips(waves, names, dtype=np.float64)
        return [reference_logmel(clip, params).astype(np.float32) for clip in clips]
    clips = checked_clips(waves, names)
    if chosen == "native":
        return native_plan(params).compute(clips, num_threads=num_threads or 0)
    results: list[np.ndarray] = [np.empty(0, np.float32)] * len(clips)
    with _torch_threads(num_threads):
        for indices, batch in _torch_batches(clips, params, device):
            host = batch.cpu().numpy()  # the caller asked for NumPy arrays
            for row, i in enumerate(indices):
                results[i] = np.ascontiguousarray(host[row])
    return results


def logmel_tensor(
    waves: Any,
    params: LogMelParams | None = None,
    *,
    names: Sequence[str] | None = None,
    num_threads: int | None = None,
    backend: str = "auto",
    device: Any = None,
) -> Any:
    """Equal-length clips -> ``torch.Tensor (batch, n_mels, frames)`` on ``device``."""
    import torch

    params = params or LogMelParams()
    chosen = resolve_backend(backend, params, device)
    clips = checked_clips(waves, names)
    lengths = sorted({len(c) for c in clips})
    if len(lengths) > 1:
        raise InputError(f"logmel_tensor needs clips of equal length, got lengths {lengths[:5]}")
    if chosen == "torch":
        with _torch_threads(num_threads):
            ((_, batch),) = list(_torch_batches(clips, params, device))
        return batch
    features = compute_logmel(clips, params, num_threads=num_threads, backend=chosen)
    return torch.from_numpy(np.stack(features)).to(device or "cpu")
