"""One UNet pass: sqldiffusion on each engine beside diffusers on PyTorch, same machine, same run.

    python benchmarks/unet_pass.py [--engine duckdb hyper] [--config CONFIG.json] [--size 64]
                                   [--batch 1 8] [--threads 2] [--repeats 5] [--sql-repeats 2]

Builds a random-initialised model of the given config (default: the blog's butterfly architecture,
gnokit/ddpm-butterflies-64), then for each batch size times PyTorch and the SQL UNet on each engine
(best of several passes each, after a warm-up for PyTorch), and prints seconds per pass, their ratio,
the error between them, each side's peak memory and the SQL time per layer kind (wall and CPU
seconds, of the best pass). Each side runs in a child process of its own so that peak memory is its
own. `--threads` sets DuckDB's and PyTorch's threads; Hyper uses every core, and its CPU time (a
server process of its own) is not counted here.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

DEFAULT_CONFIG = {
    "act_fn": "silu", "attention_head_dim": 8, "block_out_channels": [64, 128, 256, 512],
    "center_input_sample": False,
    "down_block_types": ["DownBlock2D", "DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"],
    "downsample_padding": 1, "flip_sin_to_cos": True, "freq_shift": 0, "in_channels": 3, "layers_per_block": 2,
    "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 3, "sample_size": 64,
    "time_embedding_type": "positional", "up_block_types": ["AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D", "UpBlock2D"],
}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_model(config: dict, folder: Path) -> None:
    import torch
    from diffusers import UNet2DModel

    torch.manual_seed(0)
    model = UNet2DModel(**{k: v for k, v in config.items() if not k.startswith("_")})
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    model.save_pretrained(folder)


def torch_side(folder, sample, t, threads, repeats, queue):
    import torch
    from diffusers import UNet2DModel

    torch.set_num_threads(threads)
    model = UNet2DModel.from_pretrained(folder).eval()
    x = torch.from_numpy(sample)
    times = []
    with torch.no_grad():
        model(x, t)  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            out = model(x, t).sample
            times.append(time.perf_counter() - start)
    queue.put({"seconds": min(times), "median": float(np.median(times)),
               "out": out.numpy(), "peak_mib": peak_rss_mib()})


def sql_side(engine, folder, sample, t, threads, repeats, queue):
    import duckdb  # noqa: F401  - loaded before timing

    from sqldiffusion import SQLUNet

    start = time.perf_counter()
    net = SQLUNet(folder, engine)
    if engine == "duckdb":
        net.engine.con.execute(f"SET threads = {threads}")
    import_s = time.perf_counter() - start
    best = None
    for _ in range(repeats):
        kinds = defaultdict(lambda: [0.0, 0.0, 0])

        def record(statement, wall, cpu):
            k = kinds[_category(statement)]
            k[0] += wall
            k[1] += cpu
            k[2] += 1

        start = time.perf_counter()
        out = net(sample, t, record)
        seconds = time.perf_counter() - start
        if best is None or seconds < best[0]:
            best = (seconds, dict(kinds))
    queue.put({"seconds": best[0], "import_s": import_s, "out": out, "kinds": best[1], "peak_mib": peak_rss_mib()})


def in_child(target, *args):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", nargs="+", default=["duckdb"], help="engines to time (default: duckdb)")
    parser.add_argument("--config", type=Path, help="a UNet2DModel config.json (default: the butterfly architecture)")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timestep", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5, help="PyTorch passes to time (best is reported)")
    parser.add_argument("--sql-repeats", type=int, default=2, help="SQL passes to time (best is reported)")
    args = parser.parse_args()

    config = json.loads(args.config.read_text()) if args.config else DEFAULT_CONFIG
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "unet"
        make_model(config, folder)
        print(f"# machine: {os.cpu_count()} cores; threads: {args.threads}; image {args.size}x{args.size}; "
              f"blocks {config['block_out_channels']}")
        per_image = {}
        for batch in args.batch:
            sample = np.random.default_rng(batch).standard_normal((batch, config["in_channels"],
                                                                   args.size, args.size)).astype(np.float32)
            ref = in_child(torch_side, str(folder), sample, args.timestep, args.threads, args.repeats)
            print(f"\nbatch {batch}: PyTorch {ref['seconds']:.3f} s/pass (median {ref['median']:.3f}), "
                  f"peak {ref['peak_mib']:.0f} MiB")
            for engine in args.engine:
                got = in_child(sql_side, engine, str(folder), sample, args.timestep, args.threads, args.sql_repeats)
                err = float(np.abs(got["out"] - ref["out"]).max())
                print(f"batch {batch}: {engine:8s} {got['seconds']:.2f} s/pass ({got['seconds'] / batch:.2f} s/image), "
                      f"peak {got['peak_mib']:.0f} MiB, import {got['import_s']:.1f} s")
                print(f"batch {batch}: ratio {engine}/PyTorch {got['seconds'] / ref['seconds']:.1f}x "
                      f"(vs median {got['seconds'] / ref['median']:.1f}x); max abs difference {err:.1e}")
                per_image[engine, batch] = got["seconds"] / batch
                print(f"  {'layer kind':12s} {'count':>5s} {'wall s':>7s} {'cpu s':>7s} {'cpu/wall':>8s}")
                for kind, (wall, cpu, n) in sorted(got["kinds"].items(), key=lambda kv: -kv[1][0]):
                    print(f"  {kind:12s} {n:5d} {wall:7.2f} {cpu:7.2f} {cpu / max(wall, 1e-9):8.2f}")
        for engine in args.engine:
            for batch in args.batch[1:]:
                print(f"\n{engine} s/image at batch {batch} / at batch {args.batch[0]}: "
                      f"{per_image[engine, batch] / per_image[engine, args.batch[0]]:.2f}")
        sys.stdout.flush()


def _category(statement) -> str:
    """What a statement's work is grouped under (`kind` in versions before the rename, the op in
    the oldest), so that compare_versions can time older commits."""
    return getattr(statement, "category", None) or getattr(statement, "kind", None) or statement.op


if __name__ == "__main__":
    main()

