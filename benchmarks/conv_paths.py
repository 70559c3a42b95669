"""Winograd or direct, per 3x3 convolution shape: the DuckDB paths timed side by side.

    python benchmarks/conv_paths.py [--threads 2] [--repeats 3]

For each stride-1 3x3 convolution shape of the butterfly architecture at 64x64 (input channels,
output channels, image size), and a few small-channel ones, runs the direct (im2col) statement and
the Winograd F(2x2, 3x3) and F(4x4, 3x3) statements on the same random input and weights, checks
each against numpy (float64), and prints the best wall and CPU seconds of each. The rule in
`DuckDBDialect.conv_path` (sql/dialects/duckdb.py) is chosen from this table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from sqldiffusion.backends.duckdb import storage
from sqldiffusion.backends.duckdb.dialect import WINOGRAD_CONV, DuckDBDialect
from sqldiffusion.backends.duckdb.engine import DuckDBEngine
from sqldiffusion.backends.engine import cpu_seconds
from sqldiffusion.graph.ops import Layer, Node
from sqldiffusion.program import Relation

sys.path.insert(0, str(Path(__file__).parent))  # unet_pass.py: the butterfly config

# conv_in/conv_out, and the shipped demo model's (32x32, channels 32, 64, 128)
SMALL_SHAPES = [(3, 64, 64), (64, 3, 64), (32, 32, 32), (32, 64, 32), (64, 64, 16), (128, 64, 16),
                (64, 128, 8), (128, 128, 8), (256, 128, 8)]


def butterfly_shapes() -> list[tuple[int, int, int]]:
    """(in, out, size) of every distinct stride-1 3x3 conv of the butterfly architecture at 64x64."""
    from unet_pass import DEFAULT_CONFIG

    from sqldiffusion.graph import build_unet
    from sqldiffusion.graph.unet_config import UNetConfig

    graph = build_unet(UNetConfig.from_dict(DEFAULT_CONFIG), 64, 64)
    shapes = {(graph[n.inputs[0]].channels, n.channels, n.shape[1]) for n in graph.nodes
              if n.op == "conv3x3" and n.attrs["stride"] == 1 and min(graph[n.inputs[0]].channels, n.channels) > 3}
    return sorted(shapes, key=lambda s: (-s[2], s[1], s[0]))


def numpy_conv(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(H, W, C) image, (O, C, 3, 3) kernel -> (H, W, O), in float64."""
    h, wd, _ = x.shape
    xp = np.pad(x.astype(np.float64), ((1, 1), (1, 1), (0, 0)))
    out = np.zeros((h, wd, w.shape[0])) + b
    for ky in range(3):
        for kx in range(3):
            out += xp[ky:ky + h, kx:kx + wd] @ w[:, :, ky, kx].T.astype(np.float64)
    return out


def time_path(engine: DuckDBEngine, sql: str, shape: tuple[int, int, int],
              repeats: int) -> tuple[float, float, np.ndarray]:
    best = (float("inf"), float("inf"))
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), cpu_seconds()
        engine.create("sqld_bench_out", sql)
        best = min(best, (time.perf_counter() - wall, cpu_seconds() - cpu))
    return *best, engine.fetch_image("sqld_bench_out", (1, *shape))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    engine = DuckDBEngine()
    engine.con.execute(f"SET threads = {args.threads}")
    rng = np.random.default_rng(0)
    print(f"threads {args.threads}; best of {args.repeats}; seconds per statement")
    print(f"{'in':>5s} {'out':>5s} {'size':>4s} | {'direct':>13s} | {'F(2x2,3x3)':>13s} | {'F(4x4,3x3)':>13s} | "
          f"{'wall ratio to direct':>20s} | max abs error vs float64")
    print(f"{'':16s} | {'wall   cpu':>13s} | {'wall   cpu':>13s} | {'wall   cpu':>13s} | {'F2     F4':>20s} |")
    for cin, cout, size in butterfly_shapes() + SMALL_SHAPES:
        x = rng.standard_normal((1, cin, size, size)).astype(np.float32)
        w = (rng.standard_normal((cout, cin, 3, 3)) / np.sqrt(9 * cin)).astype(np.float32)
        b = rng.standard_normal(cout).astype(np.float32)
        tensors = {"bench.weight": w, "bench.bias": b}
        shape = (cout, size, size)
        attrs = {"stride": 1, "pad": 1, "upsample": False, "scale": 1.0}
        # the same convolution three ways: direct, F(2x2, 3x3), F(4x4, 3x3), each with its parameter table
        ways = [(Node(0, "conv3x3", (0,), shape, "bench", Layer("bench", "conv3x3", {}), attrs), "bench_m")] + [
            (Node(0, WINOGRAD_CONV, (0,), shape, "bench", Layer(f"bench#winograd{t}", f"winograd{t}", {}),
                  {**attrs, "tile": t}), f"bench_u{t}") for t in (2, 4)]
        for node, table in ways:
            engine.drop(table)
            storage.store_layer(engine.con, table, node.layer, tensors)
        engine.put_image("sqld_bench_in", x)
        inputs = [Relation("sqld_bench_in", (cin, size, size))]
        want = numpy_conv(x[0].transpose(1, 2, 0), w, b)
        dialect = DuckDBDialect(parts=args.threads)
        results = []
        for node, table in ways:
            wall, cpu, out = time_path(engine, dialect.select(node, inputs, table), shape, args.repeats)
            results.append((wall, cpu, float(np.abs(out[0].transpose(1, 2, 0) - want).max())))
        (dw, dc, de), (w2, c2, e2), (w4, c4, e4) = results
        print(f"{cin:5d} {cout:5d} {size:4d} | {dw:6.3f} {dc:6.3f} | {w2:6.3f} {c2:6.3f} | {w4:6.3f} {c4:6.3f} | "
              f"{dw / w2:9.2f} {dw / w4:9.2f} | {de:.1e} {e2:.1e} {e4:.1e}")


if __name__ == "__main__":
    main()
