"""The C++ kernel against the float64 reference (skipped without the extension)."""
from __future__ import annotations

import numpy as np
import pytest

import asdkit
from asdkit.features import LogMelParams, compute_logmel, reference_logmel
from asdkit.features.logmel import native_plan

from tests.features.logmel_helpers import assert_matches_reference

pytestmark = [
    pytest.mark.native,
    pytest.mark.skipif(not asdkit.native_available(), reason="native extension not available"),
]


def kernels() -> list[str]:
    if not asdkit.native_available():
        return []
    from asdkit._native_loader import native_module

    info = native_module().build_info()
    return ["baseline"] + (["avx2"] if info.get("logmel_kernel") == "avx2-fma" else [])


def native(waves, params, kernel="auto", num_threads=0):
    return native_plan(params).compute([np.asarray(w, np.float32) for w in waves], num_threads=num_threads,
                                       kernel=kernel)


@pytest.mark.parametrize("kernel", ["auto", "baseline", "avx2"])
@pytest.mark.parametrize("length", [1, 2, 3, 100, 511, 512, 513, 1023, 1024, 1025, 4097, 48000])
def test_lengths_match_reference(kernel, length):
    if kernel not in kernels() + ["auto"]:
        pytest.skip("no AVX2 kernel on this CPU")
    p = LogMelParams()
    wave = np.random.default_rng(length).uniform(-1, 1, length).astype(np.float32)
    (out,) = native([wave], p, kernel)
    assert_matches_reference(out, reference_logmel(wave.astype(np.float64), p))


@pytest.mark.parametrize(
    "params",
    [
        LogMelParams(sr=8000, n_fft=256, hop_length=128, n_mels=40),
        LogMelParams(sr=16000, n_fft=512, hop_length=160, n_mels=64, fmin=50.0, fmax=7600.0),
        LogMelParams(sr=22050, n_fft=2048, hop_length=512, n_mels=128, mel_scale="htk", mel_norm=None),
        LogMelParams(sr=44100, n_fft=4096, hop_length=1024, n_mels=96),
        LogMelParams(sr=48000, n_fft=8192, hop_length=4096, n_mels=256),
        LogMelParams(sr=16000, n_fft=16, hop_length=8, n_mels=4),
    ],
    ids=lambda p: f"sr{p.sr}-n{p.n_fft}-h{p.hop_length}-m{p.n_mels}-{p.mel_scale}",
)
def test_params_match_reference(params):
    wave = np.random.default_rng(1).standard_normal(params.sr // 2 + 77).astype(np.float32)
    for kernel in kernels():
        (out,) = native([wave], params, kernel)
        assert_matches_reference(out, reference_logmel(wave.astype(np.float64), params))


@pytest.mark.parametrize(
    "name, wave",
    [
        ("silence", np.zeros(20000)),
        ("full_scale_square", np.sign(np.sin(np.arange(20000) * 0.01)) + 0.0),
        ("dc", np.full(20000, 0.7)),
        ("tone_1k", np.sin(2 * np.pi * 1000 * np.arange(20000) / 16000)),
        ("quiet_noise", 1e-4 * np.random.default_rng(2).standard_normal(20000)),
    ],
)
def test_special_signals_match_reference(name, wave):
    p = LogMelParams()
    for kernel in kernels():
        (out,) = native([wave], p, kernel)
        assert_matches_reference(out, reference_logmel(wave.astype(np.float32).astype(np.float64), p))


def test_batch_of_different_lengths_and_thread_counts_are_identical():
    rng = np.random.default_rng(3)
    p = LogMelParams()
    waves = [rng.standard_normal(n).astype(np.float32) for n in (160000, 300, 1024, 77777, 1, 5000)]
    one = native(waves, p, num_threads=1)
    two = native(waves, p, num_threads=2)
    many = native(waves, p, num_threads=7)
    for wave, a, b, c in zip(waves, one, two, many):
        assert np.array_equal(a, b) and np.array_equal(a, c)
        assert_matches_reference(a, reference_logmel(wave.astype(np.float64), p))


def test_public_api_uses_native_and_accepts_int16_and_strided():
    p = LogMelParams()
    rng = np.random.default_rng(4)
    pcm = rng.integers(-32768, 32767, 9000).astype(np.int16)
    strided = rng.standard_normal(20000)[::2]
    out_pcm, out_strided = compute_logmel([pcm, strided], p, backend="native")
    assert_matches_reference(out_pcm, reference_logmel(pcm / 32768.0, p))
    assert_matches_reference(out_strided, reference_logmel(strided.astype(np.float32).astype(np.float64), p))


@pytest.mark.parametrize("n_fft", [256, 1024, 4096])
def test_rfft_matches_numpy(n_fft):
    from asdkit._native_loader import native_module

    frames = np.random.default_rng(5).standard_normal((37, n_fft)).astype(np.float32)
    expected = np.fft.rfft(frames.astype(np.float64), axis=1)
    for kernel in kernels():
        spectrum = native_module().rfft(frames, num_threads=2, kernel=kernel)
        assert spectrum.dtype == np.complex64 and spectrum.shape == expected.shape
        assert np.abs(spectrum - expected).max() <= 1e-6 * np.abs(expected).max()


def test_non_power_of_two_is_rejected_natively_and_auto_falls_back():
    p = LogMelParams(n_fft=1000, hop_length=250)
    with pytest.raises(ValueError, match="power of two"):
        native_plan(p)
    with pytest.raises(ValueError, match="power of two"):
        compute_logmel(np.zeros(4000), p, backend="native")
    wave = np.random.default_rng(6).standard_normal(4000).astype(np.float32)
    (out,) = compute_logmel(wave, p)  # auto -> torch
    assert_matches_reference(out, reference_logmel(wave.astype(np.float64), p))
