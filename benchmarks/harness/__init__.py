"""Pieces of ``benchmarks/run.py``: data and model preparation, the equivalence check,
stage timings, kNN scaling, latency and memory children, goals and the report."""
