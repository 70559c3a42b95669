"""How the shipped demo model's pictures measure against its training data (`quality_report`).

    python benchmarks/demo_quality.py [--model demo|FOLDER] [--batch 16] [--seed 0] [--reference 2000]
                                      [--sampler sql|torch]

Prints four tables: the default command (the blog's schedule 500, 250, 125, 60, 0, DDPM, through
SQL on DuckDB, `--batch 16 --seed 0`), the same schedule started from pure noise at t=999 (one
pass more), DDIM with 25 steps, and a fresh sample of the training data itself (what a perfect
model would score). `--sampler torch` samples with diffusers
instead of SQL (the same schedules, other noise): minutes faster, for comparing candidate models.
The targets for the default command: symmetry mean at least 0.7x the data's, saturation median at
least 0.8x, every measure's median inside the data's 5th-95th percentile range.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sqldiffusion.datasets import draw_butterflies, quality_report
from sqldiffusion.figures import BLOG_SCHEDULE
from sqldiffusion.model import load_model
from sqldiffusion.pictures import to_pixels

SETTINGS = {"default command (blog's schedule, DDPM)": dict(sampler="ddpm", timesteps=BLOG_SCHEDULE),
            "from pure noise at t=999 (999, 500, 250, 125, 60, 0), DDPM": dict(
                sampler="ddpm", timesteps=[999] + BLOG_SCHEDULE),
            "DDIM, 25 steps": dict(sampler="ddim", num_inference_steps=25)}


def sql_samples(model: str, batch: int, seed: int, options: dict) -> np.ndarray:
    from sqldiffusion.pipeline import SQLDiffusionPipeline

    pipe = SQLDiffusionPipeline.from_pretrained(model)
    pipe.set_progress_bar_config(disable=True)
    return pipe(batch_size=batch, seed=seed, output_type="latent", **options).images


def torch_samples(model: str, batch: int, seed: int, options: dict) -> np.ndarray:
    import torch
    from diffusers import DDIMScheduler, DDPMScheduler, UNet2DModel

    info = load_model(model)
    unet = UNet2DModel.from_pretrained(info.weights_path.parent).float().eval()
    config = {k: v for k, v in info.scheduler_config.items() if not k.startswith("_")}
    if options["sampler"] == "ddim":
        scheduler = DDIMScheduler.from_config(config)
        scheduler.set_timesteps(options["num_inference_steps"])
    else:
        scheduler = DDPMScheduler(**config)
        scheduler.set_timesteps(timesteps=options["timesteps"])
    generator = torch.Generator().manual_seed(seed)
    size = unet.config.sample_size
    x = torch.randn(batch, unet.config.in_channels, size, size, generator=generator)
    with torch.no_grad():
        for t in scheduler.timesteps:
            x = scheduler.step(unet(x, t).sample, t, x, generator=generator).prev_sample
    return x.numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="demo")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reference", type=int, default=2000, help="data pictures to measure against")
    parser.add_argument("--sampler", choices=("sql", "torch"), default="sql")
    parser.add_argument("--only-default", action="store_true", help="the default command's table alone")
    args = parser.parse_args()
    sample = sql_samples if args.sampler == "sql" else torch_samples
    for name, options in SETTINGS.items():
        began = time.perf_counter()
        pixels = to_pixels(sample(args.model, args.batch, args.seed, options))
        print(f"\n{name}: {args.batch} pictures, seed {args.seed}, model {args.model}, "
              f"{args.sampler} ({time.perf_counter() - began:.0f} s)")
        print(quality_report(pixels, reference=args.reference).table())
        if args.only_default:
            return
    size = load_model(args.model).config.sample_size
    print(f"\nthe training data itself: {args.batch} fresh procedural butterflies")
    print(quality_report(draw_butterflies(args.batch, size, seed=args.seed + 777), reference=args.reference).table())


if __name__ == "__main__":
    main()
