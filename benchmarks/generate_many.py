"""Pictures per minute: one process making them one after another on DuckDB (as `generate --seed S`
in a loop) against `generate-many` on Spark, in one run.

    python benchmarks/generate_many.py [--seeds 16] [--model demo] [--masters local[2] local-cluster[2,1,1024]]

Spark's times include starting the session (and the executors' first import of the model); the
pictures are compared with the sequential ones, which they must equal pixel for pixel.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
from PIL import Image

from sqldiffusion.backends.spark.engine import SparkTarget, open_session
from sqldiffusion.many import DATASET, Work, generate_many, make_pictures
from sqldiffusion.recipe import Recipe

BLOG = (500, 250, 125, 60, 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--model", default="demo")
    parser.add_argument("--masters", nargs="+", default=["local[2]", "local-cluster[2,1,1024]"])
    args = parser.parse_args()
    recipe = Work(args.model, Recipe("ddpm", None, BLOG, False))
    seeds = list(range(args.seeds))

    began = time.perf_counter()
    alone = {row[0]: row[5] for row in make_pictures(recipe, seeds)}
    rows = [("one process, DuckDB, one after another", time.perf_counter() - began)]

    for master in args.masters:
        with tempfile.TemporaryDirectory() as folder:
            began = time.perf_counter()
            spark = open_session(SparkTarget(master=master))
            try:
                generate_many(spark, recipe, seeds, Path(folder))
            finally:
                spark.stop()
            rows.append((f"generate-many, {master}", time.perf_counter() - began))
            made = duckdb.sql(f"SELECT seed, png FROM read_parquet('{folder}/{DATASET}/*.parquet')").fetchall()
            assert len(made) == len(seeds)
            for seed, png in made:
                same = np.array_equal(np.asarray(Image.open(io.BytesIO(png))),
                                      np.asarray(Image.open(io.BytesIO(alone[seed]))))
                assert same, f"seed {seed} differs from the picture made alone"

    print(f"{args.seeds} pictures of {args.model}, the blog's 4 steps")
    base = rows[0][1]
    for name, seconds in rows:
        print(f"{name:45} {seconds:7.1f} s  {60 * args.seeds / seconds:6.1f} pictures/min  x{base / seconds:.2f}")


if __name__ == "__main__":
    main()
