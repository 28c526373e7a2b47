"""Throughput and latency of ``asdkit serve`` under a bounded local load test.

Starts the real service (``asdkit serve --port 0`` in a subprocess, on 127.0.0.1),
fires ``--requests`` POST /score requests of ``--seconds``-second WAV clips at each
``--concurrency`` with and without dynamic batching, and prints clips/s, p50/p99
latency (client side, send to full response) and the mean batch size the service's
/metrics reports. Every response must be a 200 whose score equals the clip's score
from a first sequential pass (relative 1e-5, or 3e-7 absolute: float32 rounding): a wrong answer fails the benchmark.

Without ``--model`` it builds the default model (log-mel statistics + K-means, no
training) on synthetic data; ``--paper`` also builds a small paper pipeline model
(MobileNetV2 + SAGE-GAT) and measures it too. The client shares the cores with the
service, so the figures are a lower bound for a service alone on the machine.

    python benchmarks/bench_serve.py                        # 2000 requests, c = 1, 8, 32
    python benchmarks/bench_serve.py --requests 200 --json  # quick, machine-readable
    python benchmarks/bench_serve.py --model run/ --concurrency 32 --modes batching
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import numpy as np

MODES = {"batching": [], "no-batching": ["--no-batching"]}
PAPER_EXTRACT = ["--backbone", "mobilenetv2", "--epochs", "2", "--batch-size", "8", "--crop-frames", "32",
                 "--backbone-opt", "width_mult=0.25", "--backbone-opt", "embedding_dim=32"]
PAPER_FIT = ["--gnn", "sage_gat", "--epochs", "15", "-k", "4", "--graph-dim", "32", "--head-dim", "16"]
STARTUP_SECONDS = 120.0
#: A clip's score may move by float32 rounding with the batch it is scored in: the
#: default model's 1 - cosine is resolved to 6e-8, a few such steps apart (tests/serve).
RTOL, ATOL = 1e-5, 3e-7


def asdkit(*args: str) -> list[str]:
    return [sys.executable, "-m", "asdkit.cli.main", "-q", "--device", "cpu", *args]


def run_cli(*args: str) -> None:
    done = subprocess.run(asdkit(*args), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"asdkit {' '.join(args)} failed: {done.stderr.strip()}")


def build_models(work: Path, seconds: float, paper: bool) -> tuple[dict[str, Path], Path]:
    """The default model (and the paper pipeline's) fitted on a small synthetic dataset."""
    data = work / "data"
    run_cli("synth", str(data), "--machines", "fan,valve", "--train-clips", "24", "--target-train-clips", "2",
            "--test-clips", "4", "--seconds", str(seconds))
    models = {"logmel_stats (default)": work / "default"}
    run_cli("extract", str(data), "-o", str(models["logmel_stats (default)"]))
    run_cli("fit", str(models["logmel_stats (default)"]))
    if paper:
        models["mobilenetv2 + sage_gat"] = work / "paper"
        run_cli("extract", str(data), "-o", str(models["mobilenetv2 + sage_gat"]), *PAPER_EXTRACT)
        run_cli("fit", str(models["mobilenetv2 + sage_gat"]), *PAPER_FIT)
    return models, data


def load_clips(data: Path, machine: str, limit: int = 16) -> list[tuple[str, bytes]]:
    files = sorted((data / machine / "test").glob("*.wav"))[:limit]
    if not files:
        raise SystemExit(f"{data / machine / 'test'}: no test clips")
    return [(f.name, f.read_bytes()) for f in files]


class Service:
    """``asdkit serve`` in a subprocess; its URL read from the line it prints."""

    def __init__(self, model: Path, extra: list[str], log: Path) -> None:
        self.log = log
        self.handle = log.open("w")
        self.proc = subprocess.Popen(asdkit("serve", "--model", str(model), "--port", "0", "--log-level",
                                            "warning", *extra), stdout=subprocess.DEVNULL, stderr=self.handle)
        self.url = self._wait_url()

    def _wait_url(self) -> str:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            found = re.search(r"http://[\w.\[\]:]+", self.log.read_text())
            if found:
                url = found.group(0)
                with httpx.Client(timeout=5) as client:
                    for _ in range(100):
                        try:
                            if client.get(url + "/health").status_code == 200:
                                return url
                        except httpx.TransportError:
                            time.sleep(0.05)
            if self.proc.poll() is not None:
                raise SystemExit(f"asdkit serve exited: {self.log.read_text().strip()}")
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"asdkit serve did not start within {STARTUP_SECONDS:.0f} s")

    def batch_stats(self) -> tuple[float, float]:
        """``(sum, count)`` of the batch-size histogram."""
        text = httpx.get(self.url + "/metrics", timeout=10).text
        values = dict(re.findall(r"^asdkit_batch_size_(sum|count) (\S+)$", text, re.M))
        return float(values.get("sum", 0)), float(values.get("count", 0))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.handle.close()


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs bodies and reads JSON answers.

    The load generator shares the cores with the service: httpx spends about as much
    CPU per 320 kB upload as the service spends scoring it, so this lean client (the
    request written in one go, the answer read by Content-Length) keeps the figures
    about the service. Answers must carry a Content-Length (uvicorn's JSON ones do)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, target: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (f"POST {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: audio/wav\r\nContent-Length: {len(body)}\r\n\r\n")
        self.writer.write(head.encode("ascii") + body)
        await self.writer.drain()
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
        length = int(next(v for k, v in headers.items() if k.strip().lower() == "content-length"))
        payload = json.loads(await self.reader.readexactly(length))
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()


async def fire(url: str, clips: list[tuple[str, bytes]], machine: str, requests: int,
               concurrency: int) -> tuple[list[float], list[dict[str, Any]], float]:
    """``requests`` POSTs over ``concurrency`` connections: latencies (s), bodies, wall time."""
    parsed = urllib.parse.urlsplit(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    latencies: list[float] = [0.0] * requests
    bodies: list[dict[str, Any]] = [{}] * requests
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        connection = Connection(host, port)
        try:
            while next_index < requests:
                i, next_index = next_index, next_index + 1
                name, data = clips[i % len(clips)]
                target = "/score?" + urllib.parse.urlencode({"machine": machine, "name": name})
                started = time.perf_counter()
                status, payload = await connection.post(target, data)
                latencies[i] = time.perf_counter() - started
                bodies[i] = {"status": status, **payload}
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, bodies, time.perf_counter() - started


def check(bodies: list[dict[str, Any]], reference: dict[str, float]) -> int:
    """Count of responses that are not a 200 with the clip's reference score."""
    wrong = 0
    for body in bodies:
        expected = reference.get(body.get("name", ""))
        ok = body.get("status") == 200 and expected is not None and \
            abs(body["score"] - expected) <= max(RTOL * abs(expected), ATOL)
        wrong += not ok
    return wrong


def measure(label: str, model: Path, clips: list[tuple[str, bytes]], machine: str, args: argparse.Namespace,
            work: Path) -> list[dict[str, Any]]:
    rows = []
    reference: dict[str, float] = {}
    for mode in args.modes:
        service = Service(model, MODES[mode], work / f"serve-{mode}.log")
        try:
            if not reference:  # sequential pass: the score of each clip alone
                _, bodies, _ = asyncio.run(fire(service.url, clips, machine, len(clips), 1))
                reference = {b["name"]: b["score"] for b in bodies if b.get("status") == 200}
            asyncio.run(fire(service.url, clips, machine, min(args.requests, 4 * max(args.concurrency)), 8))  # warm
            for concurrency in args.concurrency:
                before = service.batch_stats()
                latencies, bodies, wall = asyncio.run(fire(service.url, clips, machine, args.requests, concurrency))
                after = service.batch_stats()
                batches = after[1] - before[1]
                lat = np.asarray(latencies) * 1000.0
                rows.append({"model": label, "mode": mode, "concurrency": concurrency, "requests": args.requests,
                             "clip_seconds": args.seconds, "clips_per_s": args.requests / wall,
                             "p50_ms": float(np.percentile(lat, 50)), "p99_ms": float(np.percentile(lat, 99)),
                             "mean_batch": (after[0] - before[0]) / batches if batches else 0.0,
                             "wrong": check(bodies, reference)})
                if not args.json:
                    print(f"  done: {label} {mode} c={concurrency}", file=sys.stderr, flush=True)
        finally:
            service.stop()
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    print(f"{'model':<24} {'mode':<12} {'conc':>5} {'requests':>8} {'clips/s':>9} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'batch':>6} {'wrong':>6}")
    for r in rows:
        print(f"{r['model']:<24} {r['mode']:<12} {r['concurrency']:>5} {r['requests']:>8} {r['clips_per_s']:>9.1f} "
              f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['mean_batch']:>6.1f} {r['wrong']:>6}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a fitted RUN (default: build the default model)")
    parser.add_argument("--data", type=Path, help="dataset whose test clips are sent (with --model)")
    parser.add_argument("--machine", default="fan")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=lambda s: [int(c) for c in s.split(",")], default=[1, 8, 32])
    parser.add_argument("--modes", type=lambda s: s.split(","), default=list(MODES))
    parser.add_argument("--seconds", type=float, default=10.0, help="clip length of the built dataset")
    parser.add_argument("--paper", action="store_true", help="also measure the paper pipeline's model")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modes if m not in MODES]
    if unknown or args.requests < 1 or min(args.concurrency) < 1:
        parser.error(f"--modes from {', '.join(MODES)}; --requests and --concurrency >= 1")
    with tempfile.TemporaryDirectory(prefix="bench_serve_") as tmp:
        work = Path(tmp)
        if args.model is not None:
            if args.data is None:
                parser.error("--model needs --data (a dataset with MACHINE/test/*.wav clips)")
            models, data = {args.model.name: args.model}, args.data
        else:
            if not args.json:
                print("  building the model(s) on synthetic data ...", file=sys.stderr, flush=True)
            models, data = build_models(work, args.seconds, args.paper)
        clips = load_clips(data, args.machine)
        rows = [row for label, model in models.items() for row in measure(label, model, clips, args.machine,
                                                                          args, work)]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{len(clips)} distinct {args.seconds:g} s clips; service and client share {os.cpu_count()} cores "
              f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')})")
        print_table(rows)
    return 1 if any(r["wrong"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
