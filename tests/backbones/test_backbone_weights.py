"""load_weights: torchvision layout (3->1 folding), asdkit layout, and refused files."""
from __future__ import annotations

import pickle

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from asdkit.backbones.mobilenetv2 import MobileNetV2
from asdkit.backbones.weights import fold_rgb_to_mono, load_weights
from asdkit.errors import ModelError

from tests.backbones.backbone_helpers import torchvision_state_dict

torch.set_num_threads(1)


@pytest.fixture
def model():
    torch.manual_seed(0)
    return MobileNetV2(width_mult=0.25, embedding_dim=16)


def test_folding_is_exact_for_a_grey_image_repeated_on_rgb():
    gen = torch.Generator().manual_seed(0)
    rgb_weight = torch.randn(8, 3, 3, 3, generator=gen)
    x = torch.randn(2, 1, 20, 30, generator=gen)
    on_rgb = F.conv2d(x.repeat(1, 3, 1, 1), rgb_weight, stride=2, padding=1)
    on_grey = F.conv2d(x, fold_rgb_to_mono(rgb_weight), stride=2, padding=1)
    torch.testing.assert_close(on_grey, on_rgb, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_torchvision_layout_loads(model, tmp_path, suffix):
    state = torchvision_state_dict(model)
    path = tmp_path / f"mobilenet_v2{suffix}"
    if suffix == ".pth":
        torch.save(state, path)
    else:
        save_file(state, str(path))
    head_before = model.embedding[1].weight.clone()
    report = load_weights(model, path)
    assert report.layout == "torchvision"
    assert report.dropped == ["classifier.1.bias", "classifier.1.weight"]
    assert "embedding.1.weight" in report.kept_initial and "standardize.mean" in report.kept_initial
    loaded = model.state_dict()
    torch.testing.assert_close(loaded["features.0.0.weight"], state["features.0.0.weight"].sum(1, keepdim=True))
    for key in ("features.1.conv.0.0.weight", "features.17.conv.2.weight", "features.18.1.running_var"):
        torch.testing.assert_close(loaded[key], state[key])
    torch.testing.assert_close(model.embedding[1].weight, head_before)


def test_asdkit_layout_round_trip(model, tmp_path):
    model.standardize.set_stats(torch.full((32,), -40.0), torch.full((32,), 4.0))
    path = tmp_path / "own.pth"
    torch.save(model.state_dict(), path)
    fresh = MobileNetV2(width_mult=0.25, embedding_dim=16).eval()
    report = load_weights(fresh, path)
    assert report.layout == "asdkit" and report.kept_initial == [] and report.dropped == []
    x = torch.randn(2, 1, 32, 40)
    with torch.no_grad():
        torch.testing.assert_close(fresh(x), model.eval()(x))


def _write(path, obj):
    torch.save(obj, path)
    return path


def test_missing_file(model, tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_weights(model, tmp_path / "nope.pth")


def test_garbage_and_truncated_files(model, tmp_path):
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ModelError, match="garbage.pth"):
        load_weights(model, garbage)
    bad_st = tmp_path / "bad.safetensors"
    bad_st.write_bytes(b"\x00" * 16)
    with pytest.raises(ModelError, match="bad.safetensors"):
        load_weights(model, bad_st)


@pytest.mark.parametrize("payload", [[torch.zeros(1)], {"weights": {"a": torch.zeros(1)}}, {}])
def test_not_a_state_dict(model, tmp_path, payload):
    with pytest.raises(ModelError, match="not a state dict"):
        load_weights(model, _write(tmp_path / "odd.pth", payload))


class _Arbitrary:
    pass


def test_pickled_objects_are_refused(model, tmp_path):
    path = tmp_path / "evil.pth"
    with open(path, "wb") as fh:
        pickle.dump({"features.0.0.weight": _Arbitrary()}, fh, protocol=2)
    with pytest.raises(ModelError, match="evil.pth"):
        load_weights(model, path)


def test_wrong_width_names_shapes(model, tmp_path):
    other = MobileNetV2(width_mult=0.5, embedding_dim=16)
    path = _write(tmp_path / "wide.pth", torchvision_state_dict(other))
    with pytest.raises(ModelError, match=r"wide\.pth.*shape mismatch.*width_mult"):
        load_weights(model, path)


def test_missing_and_unexpected_keys_are_listed(model, tmp_path):
    state = torchvision_state_dict(model)
    del state["features.5.conv.1.0.weight"]
    state["features.99.weight"] = torch.zeros(1)
    with pytest.raises(ModelError) as err:
        load_weights(model, _write(tmp_path / "partial.pth", state))
    message = str(err.value)
    assert "partial.pth" in message and "features.5.conv.1.0.weight" in message and "features.99.weight" in message
    own = {k: v for k, v in model.state_dict().items() if not k.startswith("embedding.")}
    with pytest.raises(ModelError, match="missing keys: embedding"):
        load_weights(model, _write(tmp_path / "no_head.pth", own))
