"""Before timing anything: asdkit and the reference must compute the same thing.

Tolerances, and why:

- **scores**: max |asdkit - reference| <= 1e-4 on CPU, 1e-3 on CUDA, and Spearman rank
  correlation >= 0.999. Scores are cosine distances in [0, 2]. The two pipelines
  differ only in float32 rounding (asdkit's C++ log-mel kernel vs ``torch.stft``; a
  BatchNorm-folded TorchScript backbone vs the eager one; batched vs one-clip
  kernels), which moves scores by ~3e-6 on CPU: 1e-4 leaves a factor 30 for other
  machines and still sits far below the spread of scores across clips (printed as
  ``score std``; ~5e-3 even for the barely trained benchmark model), so a wrong
  neighbour, weight or vector shows at once. On CUDA, PyTorch lets cuDNN convolutions
  use TF32 (10-bit mantissa) by default, for both sides alike but rounded differently
  in a batch of 32 and a batch of 1, hence 1e-3 there. The rank correlation is what
  the AUC metrics see: 0.999 allows swaps of near-tied clips only.
- **log-mel**: max |difference| <= 0.01 dB on the bins that matter (above -100 dB and
  within 80 dB of their frame's peak: asdkit's own kernel criterion); below that,
  float32 power spectra are rounding noise for both.
- **embeddings** (reported, not gated: the scores cover them): max |difference| of the
  unit-norm backbone embeddings.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np
import torch

SCORE_ATOL = {"cpu": 1e-4, "cuda": 1e-3}
SPEARMAN_MIN = 0.999
LOGMEL_ATOL_DB = 0.01


@dataclass
class Equivalence:
    clips: int
    score_atol: float
    score_max_abs_diff: float
    score_spearman: float
    score_std: float
    logmel_max_abs_diff_db: float
    embedding_max_abs_diff: float
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "tolerances": {"score_atol": self.score_atol, "spearman_min": SPEARMAN_MIN,
                                               "logmel_atol_db": LOGMEL_ATOL_DB}}

    def describe(self) -> str:
        verdict = "PASSED" if self.passed else "FAILED"
        return (f"equivalence {verdict} on {self.clips} clips: scores max |diff| {self.score_max_abs_diff:.2e} "
                f"(<= {self.score_atol:g}; score std {self.score_std:.3g}), Spearman {self.score_spearman:.5f} "
                f"(>= {SPEARMAN_MIN}), log-mel max |diff| {self.logmel_max_abs_diff_db:.2e} dB "
                f"(<= {LOGMEL_ATOL_DB} dB), embeddings max |diff| {self.embedding_max_abs_diff:.2e}")


def logmel_diff_db(ours: np.ndarray, theirs: np.ndarray) -> float:
    """Max |difference| in dB over bins above -100 dB and within 80 dB of the frame peak."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    matters = (theirs > -100.0) & (theirs > theirs.max(axis=0, keepdims=True) - 80.0)
    return float(np.abs(ours - theirs)[matters].max()) if matters.any() else 0.0


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Rank correlation; 1.0 for fewer than 3 clips (no ranking to compare)."""
    from scipy.stats import spearmanr

    if len(a) < 3:
        return 1.0
    return float(spearmanr(a, b).statistic)


def check(model: Any, reference: Any, clips: Sequence[Any]) -> Equivalence:
    """Compare asdkit (``AsdModel`` via ``score_clips``) and the reference on ``clips``."""
    from asdkit.audio import iter_audio
    from asdkit.features import compute_logmel
    from asdkit.pipeline.score import score_clips

    _, ours, _ = score_clips(model, clips)
    theirs = reference.score_files([c.path for c in clips], [c.machine for c in clips])
    ours = np.asarray(ours)
    waves = [w for _, w in iter_audio(clips[:4], model.policy)]
    feats = compute_logmel(waves, model.params)
    mel_diff = max(logmel_diff_db(f, reference.logmel(w).cpu().numpy()) for f, w in zip(feats, waves))
    with torch.no_grad():
        ref_emb = torch.stack([reference.backbone_embed(f) for f in feats]).cpu()
    emb_diff = float((model.embed(feats).cpu() - ref_emb).abs().max())
    result = Equivalence(
        clips=len(clips), score_atol=SCORE_ATOL[model.device.type],
        score_max_abs_diff=float(np.abs(ours - theirs).max()),
        score_spearman=spearman(ours, theirs), score_std=float(np.std(theirs)),
        logmel_max_abs_diff_db=mel_diff, embedding_max_abs_diff=emb_diff, passed=False)
    result.passed = (result.score_max_abs_diff <= result.score_atol and result.score_spearman >= SPEARMAN_MIN
                     and result.logmel_max_abs_diff_db <= LOGMEL_ATOL_DB)
    return result
