"""The whole scoring path of a fitted model as one ``nn.Module`` made to be exported.

.. math::
    \\text{waveform} \\xrightarrow{\\text{log-mel}} S \\xrightarrow{\\text{backbone}} e
    \\xrightarrow{\\text{attach + graph + head}} r \\xrightarrow{\\text{scorer of } m} s_{raw}
    \\xrightarrow{} s = (s_{raw} - \\mu_q) / \\sigma_q, \\qquad \\text{anomalous} = s > \\tau_q

``q`` is the clip's *section key*: an index into :attr:`SectionTable.keys`, which lists
``"machine/section"`` for every section seen in training and ``"machine"`` alone for a
section the model did not see (the machine-wide threshold and statistics, as ``asdkit
score`` falls back to). Without ``normalize_scores`` :math:`\\mu = 0, \\sigma = 1`.
Thresholds :math:`\\tau` are on the scale of the output score (as ``asdkit score``'s
decision CSVs).

Shapes:
    - **waveform:** ``(B, samples)`` float32 at the model's rate (mono, conformed)
    - **section:** ``(B,)`` int64 indices into the section keys
    - **outputs:** score ``(B,)`` float32, anomalous ``(B,)`` bool, threshold ``(B,)`` float32
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import ModelError
from ..formats.run_layout import threshold_of
from ..pipeline.heldout import section_stats
from ..pipeline.model import AsdModel


@dataclass(frozen=True)
class SectionTable:
    """Per section key: machine index, held-out mean/std and threshold on the output scale."""

    keys: list[str]
    machine: list[int]
    mean: list[float]
    std: list[float]
    threshold: list[float]

    def thresholds(self) -> dict[str, float]:
        return dict(zip(self.keys, self.threshold))


def _sections_of(model: AsdModel, machine: str) -> list[str]:
    """Sections the model holds a threshold or statistics for (``m/NN``, older ``m_section_NN``)."""
    found = set()
    pattern = re.compile(rf"^{re.escape(machine)}(?:/|_section_)(.+)$")
    for key in [*model.thresholds, *model.config.heldout_score_stats]:
        hit = pattern.match(key)
        if hit:
            found.add(hit.group(1))
    return sorted(found)


def section_table(model: AsdModel) -> SectionTable:
    """Every ``machine/section`` the model knows, then ``machine`` for unseen sections."""
    keys, machines, means, stds, thresholds = [], [], [], [], []
    stats = model.config.heldout_score_stats
    for m_index, machine in enumerate(model.machines):
        for section in [*_sections_of(model, machine), None]:
            raw = (threshold_of(model.thresholds, machine, section) if section is not None
                   else model.thresholds.get(machine))
            if raw is None:
                raise ModelError(f"{model.bundle_path}: no decision threshold for machine '{machine}'")
            mean, std = 0.0, 1.0
            if model.normalizes_scores:
                stat = section_stats(stats, machine, section, str(model.bundle_path)) if section is not None \
                    else stats.get(machine)
                if stat is None:
                    raise ModelError(f"{model.bundle_path}: no held-out score statistics for machine "
                                     f"'{machine}'; fit it again")
                mean, std = float(stat["mean"]), float(stat["std"])
            keys.append(machine if section is None else f"{machine}/{section}")
            machines.append(m_index)
            means.append(mean)
            stds.append(std)
            thresholds.append((float(raw) - mean) / std)
    return SectionTable(keys, machines, means, stds, thresholds)


class ScoringGraph(nn.Module):
    """Waveforms and section keys -> score, decision, threshold (see the module docstring).

    Args:
        logmel: waveforms ``(B, samples)`` -> ``(B, n_mels, T)``.
        backbone: the eager (not scripted) backbone, eval mode.
        attach: the graph stage (:class:`~.graph_attach.AttachedGraph`) or ``None``.
        scores: ``(B, D) -> (B, M)`` machine scores (:mod:`.scorers`).
        table: the section keys' constants.
    """

    def __init__(self, logmel: nn.Module, backbone: nn.Module, attach: nn.Module | None, scores: nn.Module,
                 table: SectionTable) -> None:
        super().__init__()
        self.logmel, self.backbone, self.attach, self.scores = logmel, backbone, attach, scores
        self.register_buffer("machine_of", torch.tensor(table.machine, dtype=torch.int64))
        self.register_buffer("mean", torch.tensor(table.mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(table.std, dtype=torch.float32))
        self.register_buffer("threshold", torch.tensor(table.threshold, dtype=torch.float32))
        self.machine_of: Tensor
        self.mean: Tensor
        self.std: Tensor
        self.threshold: Tensor

    def forward(self, waveform: Tensor, section: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        features = self.logmel(waveform).unsqueeze(1)  # (B, 1, n_mels, T), as embed_clips stacks them
        vectors = self.backbone(features)
        if self.attach is not None:  # AsdModel.embed: unit embeddings for the graph network
            vectors = self.attach(F.normalize(vectors, dim=1))
        machine = self.machine_of[section]
        raw = self.scores(vectors).gather(1, machine.unsqueeze(1)).squeeze(1)
        score = (raw - self.mean[section]) / self.std[section]
        threshold = self.threshold[section]
        return score, score > threshold, threshold
