"""One UNet pass on PostgreSQL beside DuckDB and PyTorch, same machine, same run.

    python benchmarks/postgres_pass.py [--sizes 32 64] [--dsn postgresql://...]

Builds a random-initialised model of the butterfly architecture (gnokit/ddpm-butterflies-64), then
for each image size times one pass on PostgreSQL (a throwaway PostgreSQL 17 server unless --dsn),
one on DuckDB and PyTorch's best of three, and prints seconds, ratios, the error against PyTorch
and PostgreSQL's time per layer kind. PostgreSQL's work happens in server processes, so its CPU
time is not measured here; wall time is what users feel.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from unet_pass import DEFAULT_CONFIG, in_child, make_model, sql_side, torch_side


def postgres_side(folder, sample, t, dsn, queue):
    from sqldiffusion import SQLUNet
    from sqldiffusion.backends import get_engine

    engine = get_engine("postgres", dsn)
    start = time.perf_counter()
    net = SQLUNet(folder, engine)
    import_s = time.perf_counter() - start
    kinds = defaultdict(lambda: [0.0, 0])

    def record(statement, wall, cpu):
        kinds[_category(statement)][0] += wall
        kinds[_category(statement)][1] += 1

    start = time.perf_counter()
    out = net(sample, t, record)
    queue.put({"seconds": time.perf_counter() - start, "import_s": import_s, "out": out, "kinds": dict(kinds),
               "version": engine.query("SHOW server_version")[0][0]})
    engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--dsn", help="a PostgreSQL server (default: a throwaway one)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "unet"
        make_model(DEFAULT_CONFIG, folder)
        server = None
        dsn = args.dsn
        if dsn is None:
            from sqldiffusion.backends.postgres.server import ThrowawayServer

            server = ThrowawayServer.start()
            dsn = server.dsn
        try:
            print(f"# machine: {os.cpu_count()} cores; butterfly architecture, batch 1, timestep 500")
            for size in args.sizes:
                sample = np.random.default_rng(size).standard_normal((1, 3, size, size)).astype(np.float32)
                ref = in_child(torch_side, str(folder), sample, 500, args.threads, 3)
                duck = in_child(sql_side, str(folder), sample, 500, args.threads)
                pg = in_child(postgres_side, str(folder), sample, 500, dsn)
                print(f"\n{size}x{size}: PyTorch {ref['seconds']:.3f} s, DuckDB {duck['seconds']:.2f} s, "
                      f"PostgreSQL {pg['version']} {pg['seconds']:.1f} s (import {pg['import_s']:.1f} s)")
                print(f"{size}x{size}: PostgreSQL/PyTorch {pg['seconds'] / ref['seconds']:.0f}x, "
                      f"PostgreSQL/DuckDB {pg['seconds'] / duck['seconds']:.1f}x; max abs difference to PyTorch "
                      f"{float(np.abs(pg['out'] - ref['out']).max()):.1e}")
                for kind, (wall, n) in sorted(pg["kinds"].items(), key=lambda kv: -kv[1][0]):
                    print(f"  {kind:12s} {n:5d} {wall:8.2f} s")
        finally:
            if server is not None:
                server.stop()


def _category(statement) -> str:
    """What a statement's work is grouped under (`kind` in versions before the rename, the op in
    the oldest), so that compare_versions can time older commits."""
    return getattr(statement, "category", None) or getattr(statement, "kind", None) or statement.op


if __name__ == "__main__":
    main()

