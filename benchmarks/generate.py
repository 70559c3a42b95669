"""Seconds per picture: the blog's schedule (500, 250, 125, 60, 0) or N steps, on each engine beside PyTorch.

    python benchmarks/generate.py [--engine duckdb hyper] [--model demo|FOLDER] [--batch 1] [--threads 2]
                                  [--timesteps 500,250,125,60,0 | --steps 1000] [--repeats 3]

Without --model it builds a random-initialised model of the butterfly architecture
(gnokit/ddpm-butterflies-64, 64x64, 63M parameters). The SQL side runs sqldiffusion's whole loop
(SQL noise, UNet passes, DDPM steps with noise); the PyTorch side runs diffusers' UNet2DModel and
DDPMScheduler on the same timesteps. PyTorch and DuckDB use the same number of threads (Hyper: all).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from unet_pass import DEFAULT_CONFIG, in_child, make_model, peak_rss_mib


def torch_side(folder, timesteps, steps, batch, threads, repeats, queue):
    import torch
    from diffusers import DDPMScheduler, UNet2DModel

    from sqldiffusion.model import load_model

    torch.set_num_threads(threads)
    model_info = load_model(folder)
    unet_folder = Path(model_info.weights_path).parent
    model = UNet2DModel.from_pretrained(unet_folder).float().eval()
    scheduler = DDPMScheduler(**{k: v for k, v in (model_info.scheduler_config or {}).items() if not k.startswith("_")})
    if steps:
        scheduler.set_timesteps(steps)
    else:
        scheduler.set_timesteps(timesteps=timesteps)
    size = model.config.sample_size
    times = []
    for repeat in range(repeats):
        start = time.perf_counter()
        with torch.no_grad():
            x = torch.randn(batch, model.config.in_channels, size, size,
                            generator=torch.Generator().manual_seed(repeat))
            for t in scheduler.timesteps:
                x = scheduler.step(model(x, t).sample, t, x).prev_sample
        times.append(time.perf_counter() - start)
    queue.put({"seconds": min(times), "peak_mib": peak_rss_mib()})


def sql_side(engine, folder, timesteps, steps, batch, threads, repeats, queue):
    from sqldiffusion.pipeline import SQLDiffusionPipeline

    start = time.perf_counter()
    pipe = SQLDiffusionPipeline.from_pretrained(folder, engine=engine)
    if engine == "duckdb":
        pipe.unet.engine.con.execute(f"SET threads = {threads}")
    import_s = time.perf_counter() - start
    times = []
    for repeat in range(repeats):
        start = time.perf_counter()
        if steps:
            pipe(batch_size=batch, num_inference_steps=steps, seed=repeat, output_type="latent")
        else:
            pipe(batch_size=batch, timesteps=timesteps, seed=repeat, output_type="latent")
        times.append(time.perf_counter() - start)
    queue.put({"seconds": min(times), "import_s": import_s, "peak_mib": peak_rss_mib()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", nargs="+", default=["duckdb"], help="engines to time (default: duckdb)")
    parser.add_argument("--model", help="'demo' or a model folder (default: random butterfly architecture)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timesteps", default="500,250,125,60,0")
    parser.add_argument("--steps", type=int, help="N steps spaced as diffusers' set_timesteps (instead of --timesteps)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per side (best is reported)")
    args = parser.parse_args()
    timesteps = [int(t) for t in args.timesteps.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.model
        if folder is None:
            folder = str(Path(tmp) / "unet")
            make_model(DEFAULT_CONFIG, Path(folder))
        if folder == "demo":
            from sqldiffusion.model.source import DEMO_FOLDER
            folder = str(DEMO_FOLDER)
        ref = in_child(torch_side, folder, timesteps, args.steps, args.batch, args.threads, args.repeats)
        schedule = f"{args.steps} steps" if args.steps else f"timesteps {args.timesteps}"
        print(f"# {os.cpu_count()} cores, {args.threads} threads; "
              f"model {args.model or 'butterfly architecture (random)'}; "
              f"{schedule}; batch {args.batch}; best of {args.repeats}")
        print(f"PyTorch: {ref['seconds']:.2f} s per run, {ref['seconds'] / args.batch:.2f} s per image, "
              f"peak {ref['peak_mib']:.0f} MiB")
        for engine in args.engine:
            got = in_child(sql_side, engine, folder, timesteps, args.steps, args.batch, args.threads, args.repeats)
            print(f"{engine}: {got['seconds']:.2f} s per run, {got['seconds'] / args.batch:.2f} s per image, "
                  f"peak {got['peak_mib']:.0f} MiB (import {got['import_s']:.1f} s); "
                  f"ratio {engine}/PyTorch: {got['seconds'] / ref['seconds']:.1f}x")


if __name__ == "__main__":
    main()
