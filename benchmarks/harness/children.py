"""Measurements that need a process of their own: torch-cluster under a time cap,
single-clip latency on one core, and peak memory of ``asdkit score``."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _last_json(text: str) -> dict[str, Any]:
    lines = [line for line in text.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"child printed no result:\n{text[-2000:]}")
    return json.loads(lines[-1])


def torch_cluster_graph(n: int, k: int, threads: int, cap_s: float) -> dict[str, Any]:
    """``torch_cluster.knn_graph`` seconds at ``n`` points, or ``capped`` after ``cap_s``."""
    import importlib.util

    if importlib.util.find_spec("torch_cluster") is None:
        return {"status": "unavailable", "n": n, "why": "torch_cluster is not importable"}
    cmd = [sys.executable, str(HERE / "child_tc.py"), str(n), str(k), str(threads)]
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=cap_s, cwd=ROOT)
    except subprocess.TimeoutExpired:  # subprocess.run has killed the child
        return {"status": "capped", "n": n, "cap_s": cap_s, "seconds": time.perf_counter() - start}
    if done.returncode != 0:
        return {"status": "failed", "n": n, "why": done.stderr.strip().splitlines()[-1:]}
    return {"status": "ok", "n": n, **_last_json(done.stdout)}


def latency(run: Path, clips: Sequence[Any], calls: int) -> dict[str, Any]:
    """Single-clip latency of asdkit and the reference on one CPU core (see child_latency)."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "spec.json"
        spec.write_text(json.dumps({"run": str(run), "calls": calls,
                                    "clips": [[str(c.path), c.machine] for c in clips]}))
        done = subprocess.run([sys.executable, str(HERE / "child_latency.py"), str(spec)],
                              capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"latency child failed:\n{done.stderr[-2000:]}")
    return _last_json(done.stdout)


#: The child: ``asdkit score`` (the CLI's own entry point), then its peak RSS written
#: to the file named in argv[1] at exit. VmHWM, not ``ru_maxrss``: the kernel carries a
#: forked child's pre-exec high-water mark (this big benchmark process) into
#: ``ru_maxrss``, while VmHWM belongs to the exec'd address space alone.
_SCORE_CHILD = """
import atexit, sys
out = sys.argv.pop(1)
def _hwm():
    with open('/proc/self/status') as fh:
        kib = next(int(line.split()[1]) for line in fh if line.startswith('VmHWM'))
    with open(out, 'w') as fh:
        fh.write(str(kib))
atexit.register(_hwm)
from asdkit.cli.main import main
main()
"""


def score_peak_rss(run: Path, paths: Sequence[Path], device: str, out_dir: Path) -> dict[str, Any]:
    """Run ``asdkit score - --model RUN`` on ``paths`` (read from stdin) in a child
    process and return its peak resident memory (Linux: ``/proc/self/status``)."""
    with tempfile.TemporaryDirectory() as tmp:
        hwm = Path(tmp) / "hwm"
        cmd = [sys.executable, "-c", _SCORE_CHILD, str(hwm), "-q", "--device", device,
               "score", "-", "--model", str(run), "-o", str(out_dir), "--no-eval"]
        start = time.perf_counter()
        done = subprocess.run(cmd, input="".join(f"{p}\n" for p in paths), text=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
        seconds = time.perf_counter() - start
        if done.returncode != 0 or not hwm.is_file():
            raise RuntimeError(f"asdkit score failed on {len(paths)} clips:\n{done.stderr[-2000:]}")
        return {"clips": len(paths), "peak_rss_mb": int(hwm.read_text()) / 1024, "seconds": seconds}


def memory(run: Path, paths: Sequence[Path], sizes: Sequence[int], device: str, work: Path) -> dict[str, Any]:
    """Peak RSS of ``asdkit score`` on 1 clip (fixed cost: interpreter, libraries,
    model) and on each size; growth = peak at the largest size minus at the smallest."""
    rows = [score_peak_rss(run, paths[:n], device, work / f"scores-{n}") for n in [1, *sizes]]
    measured = rows[1:]
    growth = measured[-1]["peak_rss_mb"] - measured[0]["peak_rss_mb"] if len(measured) > 1 else 0.0
    return {"baseline": rows[0], "sizes": measured, "growth_mb": growth}
