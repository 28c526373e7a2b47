"""Portable exports of a fitted model: ``asdkit export RUN --format onnx -o model.onnx``.

:func:`~asdkit.export.onnx.export_onnx` writes the whole scoring path (log-mel,
backbone, graph attach + graph network + head, scorer, normalisation, threshold) as
one ONNX graph that onnxruntime runs without asdkit (README, "Export to ONNX").
"""
from .onnx import ExportResult, export_onnx

__all__ = ["ExportResult", "export_onnx"]
