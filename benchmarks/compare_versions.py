"""Two versions of sqldiffusion timed side by side: single UNet passes, alternating, same model file.

    git worktree add ../before <commit>
    python benchmarks/compare_versions.py --before ../before/src --after src [--rounds 5] [--size 64]
                                          [--engine duckdb|hyper|postgres]

Builds one random-initialised butterfly-architecture model (the config of unet_pass.py), then for
each round runs one fresh process per version (before, then after): import the model into the
engine (DuckDB in memory by default), then the best of `--repeats` passes at batch 1. Alternating
keeps the machine's drift
out of the comparison; the medians and their ratio are printed last.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

CHILD = r"""
import sys, time
import numpy as np
from sqldiffusion import SQLUNet

folder, size, repeats, threads, engine = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
net = SQLUNet(folder, engine)
if engine == "duckdb":
    net.engine.con.execute(f"SET threads = {threads}")
x = np.random.default_rng(0).standard_normal((1, 3, size, size)).astype(np.float32)
best = float("inf")
for _ in range(repeats):
    start = time.perf_counter()
    net(x, 500)
    best = min(best, time.perf_counter() - start)
print(best)
"""


def one_pass(src: Path, folder: Path, size: int, repeats: int, threads: int, engine: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(src.resolve())}
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(size), str(repeats), str(threads), engine],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"{src}: {done.stderr.strip().splitlines()[-1]}")
    return float(done.stdout.strip())


def main() -> None:
    from unet_pass import DEFAULT_CONFIG, make_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the src folder of the earlier version")
    parser.add_argument("--after", type=Path, required=True, help="the src folder of the later version")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3, help="passes per process (the best counts)")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--engine", default="duckdb", help="the engine both versions run on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "unet"
        make_model(DEFAULT_CONFIG, folder)
        times: dict[str, list[float]] = {"before": [], "after": []}
        for round_ in range(args.rounds):
            for name in ("before", "after"):
                seconds = one_pass(getattr(args, name), folder, args.size, args.repeats, args.threads, args.engine)
                times[name].append(seconds)
                print(f"round {round_ + 1}: {name:6s} {seconds:7.2f} s/pass", flush=True)
    before, after = (statistics.median(times[k]) for k in ("before", "after"))
    print(f"median before {before:.2f} s, after {after:.2f} s: after / before = {after / before:.3f}")


if __name__ == "__main__":
    main()
