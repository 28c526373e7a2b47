"""Held-out (cross-fitted) training scores: no clip is scored by a model of itself."""
from __future__ import annotations

import numpy as np
import torch

from asdkit import registry
from asdkit.pipeline.heldout import cross_fitted_scores, fold_ids, score_stats


def test_folds_are_balanced_and_seeded():
    ids = fold_ids(23, seed=4)
    counts = np.bincount(ids)
    assert counts.max() - counts.min() <= 1 and len(counts) == 5
    assert np.array_equal(ids, fold_ids(23, seed=4)) and not np.array_equal(ids, fold_ids(23, seed=5))
    assert np.array_equal(fold_ids(3, 0), np.sort(fold_ids(3, 0))) or len(set(fold_ids(3, 0))) == 3


def test_a_clip_never_meets_itself():
    x = torch.nn.functional.normalize(torch.randn(40, 8, generator=torch.Generator().manual_seed(0)), dim=1)
    domain = torch.zeros(40, dtype=torch.long)
    make = lambda: registry.create("scorer", "knn", {"k": 1})  # noqa: E731
    in_sample = make().fit(x, domain).score(x).numpy()
    held = cross_fitted_scores(make, x, domain, seed=0)
    assert np.abs(in_sample).max() < 1e-5  # its own nearest neighbour
    assert held.min() > 1e-3
    # Each held-out score is the distance to the nearest clip of the other folds.
    ids = fold_ids(40, 0)
    sims = (x @ x.T).numpy()
    expected = [1 - sims[i, ids != ids[i]].max() for i in range(40)]
    np.testing.assert_allclose(held, expected, atol=1e-5)


def test_stats_floor_the_spread():
    assert score_stats(np.array([2.0, 2.0]))["std"] > 0
    assert score_stats(np.array([1.0, 3.0])) == {"mean": 2.0, "std": 1.0}


def test_false_alarm_rate_sets_the_gamma_quantile_of_heldout_scores(run_copy, tmp_path):
    import json

    from tests.pipeline.pipeline_helpers import invoke, ok

    from asdkit.audio import read_clips_csv
    from asdkit.bundle import load_bundle
    from asdkit.pipeline.extract import is_training_clip
    from asdkit.pipeline.threshold import gamma_threshold

    machines = np.array([c.machine for c in read_clips_csv(run_copy / "clips.csv") if is_training_clip(c)])
    found = {}
    for rate in (0.1, 0.4):
        ok("fit", str(run_copy), "--false-alarm-rate", str(rate))
        tensors, config = load_bundle(run_copy / "model")
        heldout = tensors["heldout.scores"].numpy()
        for m in config["machines"]:
            assert config["thresholds"][m] == gamma_threshold(heldout[machines == m], 1 - rate)
        found[rate] = config["thresholds"]
        assert json.loads((run_copy / "config.json").read_text())["fit"]["false_alarm_rate"] == rate
    assert all(found[0.4][m] < found[0.1][m] for m in found[0.1])  # more false alarms allowed: lower
    bad = invoke("fit", str(run_copy), "--false-alarm-rate", "1.5")
    assert bad.exit_code == 1 and "--false-alarm-rate must be between 0 and 1" in bad.stderr
