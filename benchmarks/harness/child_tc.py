"""Child process: time ``torch_cluster.knn_graph`` on the benchmark's clustered
embeddings and print one JSON line. Run by :mod:`.children` under a time cap (the
parent kills it), so a slow torch-cluster cannot stall the benchmark.

    python benchmarks/harness/child_tc.py N K THREADS
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main(n: int, k: int, threads: int) -> None:
    import torch
    import torch_cluster

    from benchmarks.harness.knn_scale import embeddings

    torch.set_num_threads(threads)
    x = embeddings(n)
    start = time.perf_counter()
    edges = torch_cluster.knn_graph(x, k, loop=False, flow="source_to_target", num_workers=threads)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "edges": int(edges.shape[1])}))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
