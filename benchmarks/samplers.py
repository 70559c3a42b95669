"""Quality per UNet pass: each sampler through SQL on DuckDB, measured against the demo model's
training data, with the blog's schedule as the baseline in the same run.

    python benchmarks/samplers.py [--batch 16] [--seed 0] [--reference 2000]
                                  [--cases blog dpmpp-2m:6 dpmpp-2m:8 karras:5 karras:6 karras:8]

Each case makes `--batch` pictures of the shipped demo model with one seed (DuckDB in memory, one
SQLUNet for all, so the import is not timed) and prints `quality_report`'s figures against
`--reference` training pictures: symmetry mean and saturation median as ratios to the data's, how
many of the six measures lie inside the data's 5-95% range, the Frechet distance over the measures
(and the floor: a fresh data sample of the same size), and seconds per picture with the ratio to
the blog's schedule. Cases: `blog` (DDPM, 500, 250, 125, 60, 0), `ddim:N`, `dpmpp-2m:N`,
`karras:N` (dpmpp-2m with Karras sigmas), N the number of steps (= UNet passes).
"""

from __future__ import annotations

import argparse
import time

from sqldiffusion.datasets import quality_report
from sqldiffusion.figures import BLOG_SCHEDULE
from sqldiffusion.pictures import to_pixels
from sqldiffusion.pipeline import SQLDiffusionPipeline

CASES = ["blog", "dpmpp-2m:6", "dpmpp-2m:8", "karras:5", "karras:6", "karras:8"]


def options(case: str) -> dict:
    if case == "blog":
        return dict(sampler="ddpm", timesteps=BLOG_SCHEDULE)
    name, steps = case.split(":")
    if name == "karras":
        return dict(sampler="dpmpp-2m", use_karras_sigmas=True, num_inference_steps=int(steps))
    return dict(sampler=name, num_inference_steps=int(steps))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reference", type=int, default=2000)
    parser.add_argument("--cases", nargs="+", default=CASES)
    args = parser.parse_args()
    pipe = SQLDiffusionPipeline.from_pretrained("demo")
    pipe.set_progress_bar_config(disable=True)
    print(f"{'case':14} {'passes':>6} {'symmetry':>8} {'saturation':>10} {'inside':>6} {'Frechet':>7} "
          f"{'floor':>6} {'s/picture':>9} {'vs blog':>7}", flush=True)
    baseline = None
    for case in args.cases:
        began = time.perf_counter()
        samples = pipe(batch_size=args.batch, seed=args.seed, output_type="latent", **options(case)).images
        seconds = (time.perf_counter() - began) / args.batch
        baseline = baseline or (seconds if case == "blog" else None)
        report = quality_report(to_pixels(samples), reference=args.reference)
        ratios = report.ratios()
        passes = len(BLOG_SCHEDULE) if case == "blog" else int(case.split(":")[1])
        print(f"{case:14} {passes:6d} {ratios['symmetry']:8.2f} {ratios['saturation']:10.2f} "
              f"{6 - len(report.outside()):4d}/6 {report.frechet:7.2f} {report.frechet_floor:6.2f} {seconds:9.2f} "
              f"{seconds / baseline if baseline else float('nan'):7.2f}", flush=True)


if __name__ == "__main__":
    main()
