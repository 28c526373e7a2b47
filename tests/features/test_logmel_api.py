"""Public API: input forms, bad-input errors, backend choice, ASDKIT_PURE_PYTHON."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import asdkit
from asdkit.errors import ConfigError, InputError
from asdkit.features import LogMelParams, compute_logmel, reference_logmel, resolve_backend

from tests.features.logmel_helpers import assert_matches_reference

BACKENDS = ["torch", "numpy"] + (["native"] if asdkit.native_available() else [])


@pytest.mark.parametrize("backend", BACKENDS)
def test_single_array_list_int16_and_strided_inputs(backend):
    rng = np.random.default_rng(0)
    p = LogMelParams(n_mels=64)
    pcm = rng.integers(-32768, 32767, 7000).astype(np.int16)
    strided = rng.standard_normal((3000, 2))[:, 1]
    (single,) = compute_logmel(strided, p, backend=backend)
    both = compute_logmel([pcm, strided], p, backend=backend)
    assert np.array_equal(single, both[1])
    assert_matches_reference(both[0], reference_logmel(pcm / 32768.0, p))
    assert_matches_reference(both[1], reference_logmel(strided.astype(np.float32).astype(np.float64), p))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "wave, message",
    [
        (np.array([0.1, np.nan, 0.2]), "NaN or Inf"),
        (np.array([0.1, np.inf]), "NaN or Inf"),
        (np.zeros(0), "empty"),
        (np.zeros((2, 100)), "1-D"),
        (np.array(["a", "b"]), "unsupported sample type"),
    ],
)
def test_bad_input_names_the_clip(backend, wave, message):
    good = np.zeros(1000, np.float32)
    with pytest.raises(InputError, match=f"clip 'pump_07.wav': .*{message}") as info:
        compute_logmel([good, wave], names=["ok.wav", "pump_07.wav"], backend=backend)
    assert "\n" not in str(info.value)
    with pytest.raises(InputError, match=f"clip #1: .*{message}"):
        compute_logmel([good, wave], backend=backend)


def test_two_dimensional_single_array_is_rejected():
    with pytest.raises(InputError, match="clip #0"):
        compute_logmel(np.zeros((4, 1000)))


def test_backend_and_thread_options_are_checked():
    with pytest.raises(ConfigError):
        compute_logmel(np.zeros(100), backend="fast")
    with pytest.raises(ConfigError):
        compute_logmel(np.zeros(100), num_threads=0)
    assert resolve_backend("auto", LogMelParams(), device="cuda") == "torch"
    expected = "native" if asdkit.native_available() else "torch"
    assert resolve_backend("auto", LogMelParams()) == expected


def test_pure_python_env_disables_native_and_still_computes():
    code = (
        "import numpy as np, asdkit\n"
        "from asdkit.features import compute_logmel, resolve_backend, LogMelParams\n"
        "assert not asdkit.native_available()\n"
        "assert resolve_backend('auto', LogMelParams()) == 'torch'\n"
        "(out,) = compute_logmel(np.ones(3000, np.float32))\n"
        "print(out.shape, out.dtype)\n"
    )
    env = {**os.environ, "ASDKIT_PURE_PYTHON": "1"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(128, 6) float32"
