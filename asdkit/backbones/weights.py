"""Loading pretrained weights into a backbone: asdkit's own layout or torchvision's.

A weights file is a plain state dict (``{name: tensor}``), either a ``.safetensors``
file or a ``torch.save``-d dict read with ``torch.load(weights_only=True)``, so no
code from the file ever runs. Two layouts are accepted:

- **asdkit:** the backbone's own ``state_dict()``; every key must match.
- **torchvision MobileNetV2** (``classifier.1.weight`` present, or a 3-channel first
  convolution): ``classifier.*`` is dropped and the first convolution is folded to
  one input channel by summing over RGB,

  .. math:: W^{(1)}_{o,1,i,j} = \\sum_{c=1}^{3} W^{(3)}_{o,c,i,j}

  which is exact for a grey input repeated on three channels. The backbone's own
  head (``embedding.*``) and input standardisation (``standardize.*``) keep their
  initial values.

Any other missing, unexpected or mis-shaped key is a :class:`ModelError` naming the
file and the first offending keys.

Shapes:
    - **torchvision ``features.0.0.weight``:** ``(C0, 3, 3, 3)`` -> ``(C0, 1, 3, 3)``
"""
from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor, nn

from ..bundle import check_finite
from ..errors import ModelError

FIRST_CONV_KEY = "features.0.0.weight"
TORCHVISION_CLASSIFIER_PREFIX = "classifier."
#: Parts of an asdkit backbone that ImageNet weights cannot provide.
NEW_IN_ASDKIT_PREFIXES = ("embedding.", "standardize.")
#: How many offending keys an error message lists.
KEYS_SHOWN = 5


@dataclass
class LoadReport:
    """What :func:`load_weights` did: keys loaded, keys left at their initial values, keys dropped."""

    layout: str
    loaded: list[str] = field(default_factory=list)
    kept_initial: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def read_state_dict(path: str | os.PathLike) -> dict[str, Tensor]:
    """Read a state dict from ``.safetensors`` or a ``torch.save`` file, no code executed."""
    p = Path(path)
    if not p.is_file():
        raise ModelError(f"{p}: weights file not found")
    try:
        if p.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(p), device="cpu")
        else:
            state = torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        # torch's own message advises weights_only=False, which would run the file's code.
        raise ModelError(f"{p}: holds Python objects besides tensors; asdkit never unpickles code "
                         "(save a plain state dict of tensors, or safetensors)") from None
    except Exception as exc:  # truncated or corrupt
        reason = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "weights_only" in reason:
            reason = "not a plain state dict of tensors"
        raise ModelError(f"{p}: cannot read weights ({reason})") from None
    if not isinstance(state, dict) or not state:
        raise ModelError(f"{p}: not a state dict (got {type(state).__name__})")
    bad = [k for k, v in state.items() if not isinstance(k, str) or not isinstance(v, Tensor)]
    if bad:
        raise ModelError(f"{p}: not a state dict of tensors (entry {bad[0]!r} is not a named tensor)")
    check_finite(state, p)
    return dict(state)


def is_torchvision_layout(state: dict[str, Tensor]) -> bool:
    first = state.get(FIRST_CONV_KEY)
    has_rgb_conv = first is not None and first.dim() == 4 and first.shape[1] == 3
    return has_rgb_conv or any(k.startswith(TORCHVISION_CLASSIFIER_PREFIX) for k in state)


def fold_rgb_to_mono(weight: Tensor) -> Tensor:
    """Sum a convolution's 3 input channels into 1: same output for a grey image repeated 3x."""
    return weight.sum(dim=1, keepdim=True)


def convert_torchvision(state: dict[str, Tensor]) -> tuple[dict[str, Tensor], list[str]]:
    """torchvision MobileNetV2 keys -> asdkit keys; returns (state, dropped keys)."""
    dropped = sorted(k for k in state if k.startswith(TORCHVISION_CLASSIFIER_PREFIX))
    out = {k: v for k, v in state.items() if not k.startswith(TORCHVISION_CLASSIFIER_PREFIX)}
    first = out.get(FIRST_CONV_KEY)
    if first is not None and first.dim() == 4 and first.shape[1] == 3:
        out[FIRST_CONV_KEY] = fold_rgb_to_mono(first)
    return out, dropped


def _listing(keys: list[str]) -> str:
    shown = ", ".join(keys[:KEYS_SHOWN])
    return shown + (f" (+{len(keys) - KEYS_SHOWN} more)" if len(keys) > KEYS_SHOWN else "")


def _check_keys(model: nn.Module, state: dict[str, Tensor], path: Path, allowed_missing: tuple[str, ...]) -> list[str]:
    """Raise on any mismatch; return the model keys allowed to keep their initial values."""
    expected = model.state_dict()
    # Old checkpoints predate BatchNorm's counter; it does not affect inference.
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    kept = [k for k in missing if k.startswith(allowed_missing)]
    missing = [k for k in missing if not k.startswith(allowed_missing)]
    unexpected = [k for k in state if k not in expected]
    mis_shaped = [
        f"{k} {tuple(state[k].shape)} vs {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape and not k.startswith("standardize.")
    ]
    problems = []
    if missing:
        problems.append(f"missing keys: {_listing(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {_listing(unexpected)}")
    if mis_shaped:
        problems.append(f"shape mismatch (file vs model; check width_mult): {_listing(mis_shaped)}")
    if problems:
        raise ModelError(f"{path}: weights do not fit {type(model).__name__}: " + "; ".join(problems))
    return kept


def load_weights(model: nn.Module, path: str | os.PathLike) -> LoadReport:
    """Load a weights file into ``model`` in place, converting torchvision's layout.

    Returns a :class:`LoadReport`; raises :class:`ModelError` naming ``path`` when
    the file is unreadable, not a state dict, or does not fit the model.
    """
    p = Path(path)
    state = read_state_dict(p)
    dropped: list[str] = []
    allowed_missing: tuple[str, ...]
    if is_torchvision_layout(state):
        layout = "torchvision"
        state, dropped = convert_torchvision(state)
        allowed_missing = NEW_IN_ASDKIT_PREFIXES
    else:
        layout = "asdkit"
        allowed_missing = ()
    kept = _check_keys(model, state, p, allowed_missing)
    model.load_state_dict(state, strict=False)
    return LoadReport(layout=layout, loaded=sorted(state), kept_initial=kept, dropped=dropped)
