"""``asdkit export --format onnx``: a fitted model's scoring path as one ONNX graph.

The graph (:class:`~.scoring_graph.ScoringGraph`) holds everything ``asdkit score``
does to a conformed waveform: log-mel (reflect pad, a two-stage DFT by matmuls in
float64, mel matmul, log: :mod:`.logmel`), the backbone, the attach to the ``k`` nearest training clips and the
graph network + head where the model has one (:mod:`.graph_attach`), the machine's
scorer (:mod:`.scorers`), the held-out normalisation and the threshold. What stays
outside: decoding, channel mixing, resampling, cropping/padding to the model's length
and the signal checks (silence, clipping, ...): feed it what
:meth:`asdkit.pipeline.online.OnlineScorer.prepare` returns.

Inputs / outputs (names are the ONNX ones):

- ``waveform`` ``(batch, samples)`` float32, mono at ``sample_rate``; ``samples`` is
  ``clip_samples`` when the model fixes a length, otherwise any ``>= min_samples``;
- ``section`` ``(batch,)`` int64: index into the metadata ``sections`` list
  (``"machine/section"`` keys, and ``"machine"`` for a section unseen in training);
- ``score`` ``(batch,)`` float32 (higher = more anomalous), ``anomalous`` ``(batch,)``
  bool (``score > threshold``), ``threshold`` ``(batch,)`` float32.

Metadata (``metadata_props``): ``machines``, ``sections``, ``thresholds`` (JSON),
``sample_rate``, ``clip_samples`` (empty when free), ``channel`` (``mean`` or the index of
the channel the model listens to), ``min_samples``, ``asdkit_version``,
``bundle_sha256`` (the bundle's tensors checksum), ``backbone``, ``graph``, ``k``,
``scorer``, ``score_scale`` (``raw`` or ``heldout-zscore``), ``inputs``, ``outputs``.
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import torch

from ..errors import ConfigError, ModelError
from ..pipeline.model import AsdModel, build_backbone
from .scoring_graph import ScoringGraph, section_table

OPSET = 17
FORMATS = ("onnx",)
FORMAT_TAG = "asdkit-onnx/1"


#: The export's self-check: onnxruntime against the same graph run by torch, on noise
#: clips. Loose on purpose: it catches a mistranslated op, not float rounding (the
#: tolerance against ``asdkit score`` is stated and tested in tests/export).
CHECK_RTOL = CHECK_ATOL = 1e-2


@dataclass
class ExportResult:
    path: Path
    metadata: dict[str, str]
    nodes: int
    size_bytes: int
    checked_diff: float | None = None  # max |score| difference onnxruntime vs torch; None: not run
    notes: list[str] = field(default_factory=list)  # what the user should know (printed as warnings)

    def summary(self) -> str:
        meta = self.metadata
        length = f"{meta['clip_samples']} samples" if meta["clip_samples"] else f">= {meta['min_samples']} samples"
        return (f"{meta['backbone']} + {meta['graph'] or 'no graph'} + {meta['scorer']} for "
                f"{len(json.loads(meta['machines']))} machine type(s), {len(json.loads(meta['sections']))} "
                f"section key(s); waveform at {meta['sample_rate']} Hz, {length}; {self.nodes} nodes, "
                f"{self.size_bytes / 1e6:.1f} MB" + ("" if self.checked_diff is None else
                                                      f"; onnxruntime check: max |d score| {self.checked_diff:.1e}"))


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt}: not supported (supported: {', '.join(FORMATS)})")


def bundle_checksum(model: AsdModel) -> str:
    """The bundle's tensors SHA-256, as its manifest records it."""
    assert model.bundle_path is not None  # AsdModel.load sets it
    manifest = json.loads((model.bundle_path / "manifest.json").read_text(encoding="utf-8"))
    return str(manifest.get("tensors_sha256", ""))


def knn_notes(model: AsdModel) -> list[str]:
    """A note when the model's own kNN index is approximate: the graph searches exactly."""
    if model.knn is None or model.train_x is None or model.graph_model is None or not model.graph_model.num_hops:
        return []
    chosen = getattr(model.knn, "chosen_kind", None)
    kind = chosen(int(model.train_x.shape[0])) if callable(chosen) else "flat"
    if kind == "flat":
        return []
    return [f"the model attaches clips through an approximate kNN index ({kind}); the graph searches "
            "exactly, so a clip whose neighbours that index missed may score slightly differently"]


def build_scoring_graph(model: AsdModel) -> ScoringGraph:
    """The exportable module of a model loaded with ``optimize=False`` (eager backbone)."""
    from ..bundle import load_bundle
    from .graph_attach import AttachedGraph
    from .logmel import OnnxLogMel
    from .scorers import scores_module

    scores = scores_module(model.config.scorer.name, [model.scorers[m] for m in model.machines])
    attach = None
    if model.graph_model is not None:
        assert model.train_x is not None and model.train_edge_index is not None and model.config.gnn is not None
        attach = AttachedGraph(model.graph_model.eval(), model.train_x, model.train_edge_index, model.k,
                               model.config.gnn.name)
    backbone = model.backbone
    if isinstance(backbone, torch.jit.ScriptModule):  # loaded with optimize=True: rebuild the eager one
        tensors, _ = load_bundle(model.bundle_path or "")
        backbone = build_backbone(model.config.backbone, tensors)
    return ScoringGraph(OnnxLogMel(model.params), backbone.cpu().eval(), attach, scores,
                        section_table(model)).eval()


def metadata(model: AsdModel, graph: ScoringGraph) -> dict[str, str]:
    from ..utils import package_versions

    table = section_table(model)
    n_samples = model.policy.n_samples
    return {
        "format": FORMAT_TAG,
        "machines": json.dumps(model.machines),
        "sections": json.dumps(table.keys),
        "thresholds": json.dumps(table.thresholds(), sort_keys=True),
        "sample_rate": str(model.policy.sr),
        "clip_samples": "" if n_samples is None else str(n_samples),
        "channel": str(model.policy.channel),
        "min_samples": str(model.params.n_fft // 2 + 1),
        "asdkit_version": package_versions()["asdkit"],
        "bundle_sha256": bundle_checksum(model),
        "backbone": model.config.backbone.name,
        "graph": "" if graph.attach is None or model.config.gnn is None else model.config.gnn.name,
        "k": str(model.k if graph.attach is not None else 0),
        "scorer": model.config.scorer.name,
        "score_scale": "heldout-zscore" if model.normalizes_scores else "raw",
        "inputs": "waveform float32 (batch, samples); section int64 (batch,) index into sections",
        "outputs": "score float32 (batch,); anomalous bool (batch,); threshold float32 (batch,)",
    }


def _example_inputs(model: AsdModel, batch: int = 2, seconds: float = 1.0,
                    seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Noise clips of the model's length (or ``seconds`` when free) and section keys 0, 1, ..."""
    samples = model.policy.n_samples or int(model.policy.sr * seconds)  # any length traces the same graph
    wave = torch.randn(batch, samples, generator=torch.Generator().manual_seed(seed)) * 0.1
    keys = len(section_table(model).keys)
    return wave, torch.arange(batch, dtype=torch.int64) % keys


def check_with_onnxruntime(data: bytes, graph: ScoringGraph, model: AsdModel) -> float | None:
    """Max |score| difference of onnxruntime vs the torch graph on noise clips of another
    batch size (and length, when free) than the traced ones; ``None`` without onnxruntime.
    A difference beyond :data:`CHECK_RTOL`/:data:`CHECK_ATOL` is a :class:`ModelError`."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    wave, section = _example_inputs(model, batch=3, seconds=1.7, seed=1)
    with torch.no_grad():
        expected = graph(wave, section)[0].numpy()
    got = session.run(["score"], {"waveform": wave.numpy(), "section": section.numpy()})[0]
    diff = float(abs(got - expected).max())
    if not bool(((abs(got - expected)) <= CHECK_ATOL + CHECK_RTOL * abs(expected)).all()):
        raise ModelError(f"the exported graph disagrees with the model under onnxruntime (max |d score| "
                         f"{diff:.3g}); an op of backbone '{model.config.backbone.name}' may not export")
    return diff


@contextlib.contextmanager
def _native_output_silenced() -> Iterator[None]:
    """Route file descriptors 1 and 2 to a scratch file meanwhile: when an op cannot be
    exported, the TorchScript exporter prints its whole IR graph to stdout from C++ (the
    one-line error says what failed; stdout carries the command's result)."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        saved = [os.dup(1), os.dup(2)]
    except OSError:  # no usable descriptors (a detached process): nothing to protect
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def _trace_to_bytes(graph: ScoringGraph, example: tuple[torch.Tensor, torch.Tensor], fixed_length: bool,
                    opset: int) -> bytes:
    axes: dict[str, Any] = {"waveform": {0: "batch"} if fixed_length else {0: "batch", 1: "samples"},
                            "section": {0: "batch"}, "score": {0: "batch"}, "anomalous": {0: "batch"},
                            "threshold": {0: "batch"}}
    with tempfile.TemporaryDirectory(prefix="asdkit-export.") as tmp, warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter warns about itself (deprecation) and about traced
        # shape checks (constant for any input the graph accepts): nothing for the user.
        warnings.simplefilter("ignore")
        try:
            with _native_output_silenced():
                torch.onnx.export(graph, example, f"{tmp}/graph.onnx", input_names=["waveform", "section"],
                                  output_names=["score", "anomalous", "threshold"], dynamic_axes=axes,
                                  opset_version=opset, dynamo=False, do_constant_folding=True)
        except Exception as exc:  # the exporter's own failures name an op; keep the first line
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"ONNX export failed ({first})") from None
        return Path(tmp, "graph.onnx").read_bytes()


def export_onnx(run: str | Path, out: str | Path, *, opset: int = OPSET, check: bool = True) -> ExportResult:
    """Export RUN's model (a RUN folder or its model/ bundle) to ``out`` atomically;
    with ``check``, run it once under onnxruntime first (:func:`check_with_onnxruntime`)."""
    try:
        import onnx
    except ImportError:
        raise ConfigError("ONNX export needs the onnx package: pip install 'asdkit[export]'") from None

    from ..utils import atomic_write_bytes, output_file

    if opset < OPSET:
        raise ConfigError(f"opset {opset}: the export needs opset >= {OPSET}")
    target = output_file(out)
    model = AsdModel.load(run, "cpu", optimize=False)
    if model.policy.n_samples is not None and model.policy.n_samples <= model.params.n_fft // 2:
        raise ModelError(f"{model.bundle_path}: clips of {model.policy.n_samples} samples are too short "
                         f"for the graph's log-mel (needs > {model.params.n_fft // 2})")
    graph = build_scoring_graph(model)
    meta = metadata(model, graph)
    proto = onnx.load_from_string(_trace_to_bytes(graph, _example_inputs(model),
                                                  model.policy.n_samples is not None, opset))
    onnx.helper.set_model_props(proto, meta)
    proto.doc_string = (f"asdkit {meta['asdkit_version']} scoring graph of {model.bundle_path}: "
                        "waveform + section index -> score, anomalous, threshold")
    onnx.checker.check_model(proto)
    data = proto.SerializeToString()
    diff = check_with_onnxruntime(data, graph, model) if check else None
    atomic_write_bytes(target, data)
    return ExportResult(target, meta, len(proto.graph.node), len(data), diff, knn_notes(model))
