"""Winograd or direct, per 3x3 convolution shape: both DuckDB paths timed side by side.

    python benchmarks/conv_paths.py [--threads 2] [--repeats 3]

For each stride-1 3x3 convolution shape of the butterfly architecture at 64x64 (input channels,
output channels, image size), and a few small-channel ones, runs the direct (im2col) statement and
the Winograd F(2x2, 3x3) statement on the same random input and weights, checks both against numpy,
and prints the best wall and CPU seconds of each and their ratio. `WINOGRAD_MIN_CHANNELS` in
`sql/dialects/duckdb.py` is chosen from this table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sqldiffusion.engines.base import cpu_seconds
from sqldiffusion.engines.duckdb import DuckDBEngine
from sqldiffusion.graph.ops import Layer, Node
from sqldiffusion.model.layout import layer_matrix, winograd_weights
from sqldiffusion.sql.dialects.duckdb import DuckDBDialect
from sqldiffusion.sql.render import LayerTables, Relation

# (in, out, size): the butterfly's stride-1 convs (up-block inputs are concatenations), then small ones
SHAPES = [(64, 64, 64), (128, 64, 64), (192, 64, 64), (128, 128, 64), (64, 128, 32), (128, 128, 32),
          (256, 128, 32), (384, 128, 32), (256, 256, 32), (128, 256, 16), (256, 256, 16), (512, 256, 16),
          (768, 256, 16), (512, 512, 16), (256, 512, 8), (512, 512, 8), (1024, 512, 8), (3, 64, 64),
          (64, 3, 64), (16, 16, 16), (32, 32, 16)]


def numpy_conv(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(H, W, C) image, (O, C, 3, 3) kernel -> (H, W, O), in float64."""
    h, wd, _ = x.shape
    xp = np.pad(x.astype(np.float64), ((1, 1), (1, 1), (0, 0)))
    out = np.zeros((h, wd, w.shape[0])) + b
    for ky in range(3):
        for kx in range(3):
            out += xp[ky:ky + h, kx:kx + wd] @ w[:, :, ky, kx].T.astype(np.float64)
    return out


def time_path(engine: DuckDBEngine, sql: str, repeats: int) -> tuple[float, float, np.ndarray]:
    best = (float("inf"), float("inf"))
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), cpu_seconds()
        engine.create("sqld_bench_out", sql)
        best = min(best, (time.perf_counter() - wall, cpu_seconds() - cpu))
    return *best, engine.fetch_image("sqld_bench_out", (1, *OUT_SHAPE))


OUT_SHAPE: tuple = ()


def main() -> None:
    global OUT_SHAPE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    engine = DuckDBEngine()
    engine.con.execute(f"SET threads = {args.threads}")
    rng = np.random.default_rng(0)
    print(f"threads {args.threads}; best of {args.repeats}; seconds per statement")
    print(f"{'in':>5s} {'out':>5s} {'size':>4s} {'direct wall':>11s} {'cpu':>6s} {'winograd wall':>13s} {'cpu':>6s} "
          f"{'direct/winograd':>15s} {'max err d/w':>15s}")
    for cin, cout, size in SHAPES:
        x = rng.standard_normal((1, cin, size, size)).astype(np.float32)
        w = (rng.standard_normal((cout, cin, 3, 3)) / np.sqrt(9 * cin)).astype(np.float32)
        b = rng.standard_normal(cout).astype(np.float32)
        layer = Layer("bench", "conv3x3", {"bench.weight": w.shape, "bench.bias": b.shape}, ("winograd",))
        tensors = {"bench.weight": w, "bench.bias": b}
        for name in ("bench_m", "bench_u"):
            engine.drop(name)
        engine._store_matrix("bench_m", layer_matrix(layer, tensors))
        engine._store_winograd("bench_u", *winograd_weights(layer, tensors))
        engine.put_image("sqld_bench_in", x)
        OUT_SHAPE = (cout, size, size)
        node = Node(0, "conv3x3", (0,), OUT_SHAPE, "bench", layer, {"stride": 1, "pad": 1, "upsample": False, "scale": 1.0})
        inputs = [Relation("sqld_bench_in", (cin, size, size))]
        tables = LayerTables("bench_m", {"winograd": "bench_u"})
        want = numpy_conv(x[0].transpose(1, 2, 0), w, b)
        results = []
        for min_channels in (10**9, 1):
            dialect = DuckDBDialect(parts=args.threads, winograd_min_channels=min_channels)
            wall, cpu, out = time_path(engine, dialect.conv3x3(node, inputs, tables), args.repeats)
            results.append((wall, cpu, float(np.abs(out[0].transpose(1, 2, 0) - want).max())))
        (dw, dc, de), (ww, wc, we) = results
        print(f"{cin:5d} {cout:5d} {size:4d} {dw:11.3f} {dc:6.3f} {ww:13.3f} {wc:6.3f} {dw / ww:15.2f} {de:7.1e}/{we:7.1e}")


if __name__ == "__main__":
    main()
