"""A UNet pass as Spark SQL beside DuckDB and PyTorch: the demo and the butterfly architectures,
batch 1 and 8, in one run (each side in a child process of its own).

    python benchmarks/spark.py [--models demo butterfly] [--batch 1 8] [--threads 2]

Prints seconds per pass, the ratios Spark/DuckDB and Spark/PyTorch, the largest difference from
PyTorch, and Spark's cost per statement (the pass's time over its statements). The issue's target:
the butterfly pass at batch 8 within 4x of DuckDB's. Random-initialised weights of each
architecture (speed does not depend on them). `generate-many` throughput: benchmarks/generate_many.py.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
from unet_pass import DEFAULT_CONFIG, in_child, make_model, sql_side, torch_side

from sqldiffusion.train import DEMO_UNET

MODELS = {"demo": dict(DEMO_UNET, act_fn="silu", flip_sin_to_cos=True, freq_shift=0, norm_eps=1e-5),
          "butterfly": DEFAULT_CONFIG}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=["demo", "butterfly"])
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(f"# {os.cpu_count()} cores; DuckDB and PyTorch on {args.threads} threads; Spark local[*]")
    print(f"{'model':10s} {'batch':>5s} {'PyTorch s':>9s} {'DuckDB s':>9s} {'Spark s':>9s} {'Spark/DuckDB':>12s} "
          f"{'Spark/PyTorch':>13s} {'statements':>10s} {'s/statement':>11s} {'max diff':>9s}")
    for name in args.models:
        config = MODELS[name]
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "unet"
            make_model(config, folder)
            size = config["sample_size"]
            for batch in args.batch:
                sample = np.random.default_rng(batch).standard_normal((batch, 3, size, size)).astype(np.float32)
                ref = in_child(torch_side, str(folder), sample, 500, args.threads, 3)
                duck = in_child(sql_side, "duckdb", str(folder), sample, 500, args.threads, 1)
                spark = in_child(sql_side, "spark", str(folder), sample, 500, args.threads, 1)
                statements = sum(n for _, _, n in spark["kinds"].values())
                diff = float(np.abs(spark["out"] - ref["out"]).max())
                print(f"{name:10s} {batch:5d} {ref['seconds']:9.3f} {duck['seconds']:9.2f} {spark['seconds']:9.1f} "
                      f"{spark['seconds'] / duck['seconds']:11.1f}x {spark['seconds'] / ref['seconds']:12.0f}x "
                      f"{statements:10d} {spark['seconds'] / statements:11.2f} {diff:9.1e}", flush=True)


if __name__ == "__main__":
    main()
