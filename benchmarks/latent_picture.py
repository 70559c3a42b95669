"""A latent picture: ldm-celebahq-256's architecture in SQL on DuckDB beside diffusers on PyTorch, same run.

    python benchmarks/latent_picture.py [--steps 8] [--full-steps 20] [--threads 2] [--max-memory 18G]
                                        [--database FILE] [--keep FOLDER] [--sql-picture-limit 480] [--small]

Builds the architecture of CompVis/ldm-celebahq-256 with random weights and saves it as diffusers
saves an LDMPipeline (fp32): the UNet2DModel on 64x64x3 latents (224-448-672-896 channels, attention
on the three lower levels, 274M parameters), the VQModel of benchmarks/autoencoders.py ("ldm-vq",
8,192 codes) and the real DDIM scheduler config (linear betas 0.0015-0.0195, 1000 steps, no
clipping). The weights are diffusers' initialisation plus N(0, 0.02) noise, as the other benchmarks
make them, with the UNet's conv_out scaled by 0.1 (a random net's loop is chaotic), so that the
loop stays finite.

Then, each side in a child process of its own (its peak memory is its own), from the same latent
x_T: PyTorch (2 threads) times one UNet pass (best of 3, after a warm-up, which also counts the
MACs), a decode and a DDIM picture of `--steps` steps (the loop of LDMPipeline, then the VQ
decode), once each; sqldiffusion on DuckDB (2 threads) times the import, one UNet pass (SQLUNet)
and the same picture (SQLDiffusionPipeline, sampler "ddim", init_noise x_T, output_type "array":
the decoder's output unclamped, which "np" would clamp). The SQL picture's step callback splits
it into loop and decode. The picture of `--full-steps` steps is drawn in SQL only if the short
one took under `--sql-picture-limit` seconds; otherwise it is computed from the measured parts
(the loop's seconds a step, a pass and its step's work, x steps + the decode), and labelled so;
PyTorch's is always computed so, from its own picture and decode. On a loaded machine the
preflight may refuse the picture (the memory available, not the machine's): give `--max-memory`.

Prints seconds, their ratio, each side's peak memory, and the largest difference of the SQL
picture (and pass) from PyTorch's, relative to its range; both pictures are saved to
$TMPDIR/latent_picture_last.npz.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import queue as queues
import tempfile
import time
from pathlib import Path

import numpy as np
from autoencoders import ARCHITECTURES  # benchmarks/ is on the path of a script run from it
from unet_pass import peak_rss_mib

from sqldiffusion.preflight import parse_size

# CompVis/ldm-celebahq-256's unet/config.json, scheduler/scheduler_config.json (diffusers' defaults fill the rest)
UNET = {
    "act_fn": "silu", "attention_head_dim": 32, "block_out_channels": [224, 448, 672, 896],
    "center_input_sample": False,
    "down_block_types": ["DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"],
    "downsample_padding": 1, "flip_sin_to_cos": True, "freq_shift": 0, "in_channels": 3, "layers_per_block": 2,
    "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 3, "sample_size": 64,
    "time_embedding_type": "positional",
    "up_block_types": ["AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"],
}
SCHEDULER = {"beta_start": 0.0015, "beta_end": 0.0195, "beta_schedule": "linear", "num_train_timesteps": 1000,
             "clip_sample": False}
PASS_TIMESTEP = 500


def make_pipeline(folder: Path, small: bool = False) -> dict:
    """The LDMPipeline folder (`small`: a UNet of 32-64-96-128 channels, to try the script); returns
    the parameter counts."""
    import diffusers
    import torch

    torch.manual_seed(0)
    unet = diffusers.UNet2DModel(**{**UNET, "block_out_channels": [32, 64, 96, 128]} if small else UNET)
    class_name, config = ARCHITECTURES["ldm-vq"]
    vqvae = getattr(diffusers, class_name)(**config)
    with torch.no_grad():
        for p in [*unet.parameters(), *vqvae.parameters()]:
            p.add_(torch.randn_like(p) * 0.02)
        unet.conv_out.weight.mul_(0.1)
        unet.conv_out.bias.mul_(0.1)
    scheduler = diffusers.DDIMScheduler(**SCHEDULER)
    diffusers.LDMPipeline(vqvae=vqvae, unet=unet, scheduler=scheduler).save_pretrained(folder)
    return {"unet": sum(p.numel() for p in unet.parameters()),
            "vq decoder": sum(p.numel() for n, p in vqvae.named_parameters()
                              if n.startswith(("decoder.", "post_quant_conv.", "quantize.")))}


def count_macs(module, run) -> int:
    """Multiply-accumulates of `run()` in `module`'s convolutions, linear layers and attention products."""
    import torch
    from diffusers.models.attention_processor import Attention

    total = [0]

    def conv(m, inputs, out):
        total[0] += out.numel() * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]

    def linear(m, inputs, out):
        total[0] += out.numel() * m.in_features

    def attention(m, inputs, out):  # QK^T and AV, besides its projections (counted as linear)
        x = inputs[0]
        b, n = x.shape[0], x.shape[2] * x.shape[3] if x.ndim == 4 else x.shape[1]
        total[0] += 2 * b * n * n * m.inner_dim

    hooks = []
    for m in module.modules():
        kind = conv if isinstance(m, torch.nn.Conv2d) else linear if isinstance(m, torch.nn.Linear) else \
            attention if isinstance(m, Attention) else None
        if kind is not None:
            hooks.append(m.register_forward_hook(kind))
    try:
        run()
    finally:
        for h in hooks:
            h.remove()
    return total[0]


def torch_side(folder, x_t, steps, threads, queue):
    import diffusers
    import torch

    torch.set_num_threads(threads)
    unet = diffusers.UNet2DModel.from_pretrained(folder / "unet").eval()
    vqvae = diffusers.VQModel.from_pretrained(folder / "vqvae").eval()
    x = torch.from_numpy(x_t)
    result = {}
    with torch.no_grad():
        result["unet_gmac"] = count_macs(unet, lambda: unet(x, PASS_TIMESTEP)) / 1e9  # also the warm-up
        times = []
        for _ in range(3):
            start = time.perf_counter()
            eps = unet(x, PASS_TIMESTEP).sample
            times.append(time.perf_counter() - start)
        result["pass_s"], result["pass_out"] = min(times), eps.numpy()
        latents = torch.randn(1, 3, 64, 64)
        result["decode_gmac"] = count_macs(vqvae, lambda: vqvae.decode(latents)) / 1e9
        start = time.perf_counter()
        vqvae.decode(latents)
        result["decode_s"] = time.perf_counter() - start
        start = time.perf_counter()
        result["picture"] = ldm_picture(unet, vqvae, x, steps)
        result["picture_s"] = time.perf_counter() - start
    result["peak_mib"] = peak_rss_mib()
    queue.put(result)


def ldm_picture(unet, vqvae, x_t, steps: int) -> np.ndarray:
    """LDMPipeline's loop (DDIM, eta 0) from x_T, then decode(latents / scaling_factor)."""
    import diffusers

    scheduler = diffusers.DDIMScheduler(**SCHEDULER)
    scheduler.set_timesteps(steps)
    latents = x_t * scheduler.init_noise_sigma
    for t in scheduler.timesteps:
        eps = unet(scheduler.scale_model_input(latents, t), t).sample
        latents = scheduler.step(eps, t, latents, eta=0.0).prev_sample
    return vqvae.decode(latents / vqvae.config.scaling_factor).sample.numpy()


def sql_side(folder, x_t, steps, full_steps, threads, database, max_memory, picture_limit, queue):
    import duckdb  # noqa: F401  - loaded before timing

    from sqldiffusion import SQLDiffusionPipeline

    result = {}
    start = time.perf_counter()
    pipe = SQLDiffusionPipeline.from_pretrained(folder, database=database, max_memory=max_memory)
    result["import_s"] = time.perf_counter() - start
    if database:
        result["database_mib"] = os.path.getsize(database) / 2**20
    pipe.unet.engine.con.execute(f"SET threads = {threads}")
    pipe.set_progress_bar_config(disable=True)
    start = time.perf_counter()
    result["pass_out"] = pipe.unet(x_t, PASS_TIMESTEP)
    result["pass_s"] = time.perf_counter() - start
    queue.put(("progress", f"SQL pass {result['pass_s']:.1f} s, import {result['import_s']:.1f} s"))

    def picture(n):
        marks = []
        start = time.perf_counter()
        images = pipe(num_inference_steps=n, sampler="ddim", init_noise=x_t, output_type="array",
                      callback=lambda step, peek: marks.append(time.perf_counter())).images
        end = time.perf_counter()
        return images, end - start, marks[-1] - start, end - marks[-1]

    result["picture"], result["picture_s"], result["loop_s"], result["decode_s"] = picture(steps)
    queue.put(("progress", f"SQL picture of {steps} steps {result['picture_s']:.1f} s "
                           f"(loop {result['loop_s']:.1f} s, decode {result['decode_s']:.1f} s)"))
    if result["picture_s"] < picture_limit:
        _, result["full_s"], *_ = picture(full_steps)
    result["peak_mib"] = peak_rss_mib()
    queue.put(("done", result))


def in_child(target, *args):
    """Runs target(*args, queue) in a spawned process; prints its progress lines, returns its result."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=target, args=(*args, queue))
    process.start()
    while True:
        try:
            message = queue.get(timeout=5)
        except queues.Empty:
            if not process.is_alive():
                raise SystemExit(f"{target.__name__} died (exit code {process.exitcode})") from None
            continue
        if isinstance(message, tuple) and message[0] == "progress":
            print("#", message[1], flush=True)
            continue
        process.join()
        return message[1] if isinstance(message, tuple) else message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8, help="DDIM steps of the picture timed on both sides")
    parser.add_argument("--full-steps", type=int, default=20, help="the longer picture (SQL: drawn or computed)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--database", help="a DuckDB file for the SQL side (default: in memory)")
    parser.add_argument("--max-memory", help="the SQL side's --max-memory (the preflight's limit, e.g. 18G; default: "
                        "the memory available, which a loaded machine may make too little)")
    parser.add_argument("--keep", type=Path, help="save the pipeline folder here (default: a temporary folder)")
    parser.add_argument("--small", action="store_true", help="a small UNet (32-64-96-128 channels), to try the script")
    parser.add_argument("--sql-picture-limit", type=float, default=480,
                        help="draw the longer picture in SQL only if the short one took under this (seconds)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp) / "ldm"
        params = make_pipeline(folder, args.small)
        x_t = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
        print(f"# {os.cpu_count()} cores, {args.threads} threads; UNet {params['unet'] / 1e6:.1f}M parameters, "
              f"VQ decoder {params['vq decoder'] / 1e6:.1f}M; weights fp32, "
              f"{sum(f.stat().st_size for f in folder.rglob('*.safetensors')) / 2**20:.0f} MiB", flush=True)
        ref = in_child(torch_side, folder, x_t, args.steps, args.threads)
        print(f"# PyTorch: pass {ref['pass_s']:.2f} s ({ref['unet_gmac']:.1f} GMAC), decode {ref['decode_s']:.2f} s "
              f"({ref['decode_gmac']:.1f} GMAC at 256 px), picture {ref['picture_s']:.2f} s", flush=True)
        got = in_child(sql_side, folder, x_t, args.steps, args.full_steps, args.threads, args.database,
                       args.max_memory and parse_size(args.max_memory), args.sql_picture_limit)
    np.savez(Path(tempfile.gettempdir()) / "latent_picture_last.npz", sql=got["picture"], torch=ref["picture"])

    def error(a, b):
        return float(np.abs(a - b).max() / np.ptp(b))

    pass_error = error(got["pass_out"], ref["pass_out"])
    picture_error = error(got["picture"], ref["picture"])
    per_step = got["loop_s"] / args.steps  # a pass and the step's work, as the loop measured them
    if "full_s" in got:
        full, full_label = got["full_s"], "measured"
    else:
        full = args.full_steps * per_step + got["decode_s"]
        full_label = (f"computed from measured parts: {args.full_steps} x {per_step:.1f} s a step (the loop's "
                      f"{got['loop_s']:.1f} s / {args.steps}) + decode {got['decode_s']:.1f} s")

    print(f"\nimport into DuckDB: {got['import_s']:.1f} s"
          + (f", database {got['database_mib']:.0f} MiB" if "database_mib" in got else " (in memory)"))
    print(f"{'':26} {'SQL s':>8} {'PyTorch s':>9} {'ratio':>6} {'max err/range':>13}")
    print(f"{'UNet pass (t=500)':26} {got['pass_s']:8.1f} {ref['pass_s']:9.2f} {got['pass_s'] / ref['pass_s']:6.1f} "
          f"{pass_error:13.1e}")
    print(f"{'VQ decode, 256 px':26} {got['decode_s']:8.1f} {ref['decode_s']:9.2f} "
          f"{got['decode_s'] / ref['decode_s']:6.1f}")
    print(f"{f'picture, {args.steps} DDIM steps':26} {got['picture_s']:8.1f} {ref['picture_s']:9.2f} "
          f"{got['picture_s'] / ref['picture_s']:6.1f} {picture_error:13.1e}")
    torch_full = args.full_steps * (ref["picture_s"] - ref["decode_s"]) / args.steps + ref["decode_s"]
    print(f"{f'picture, {args.full_steps} DDIM steps':26} {full:8.1f} {torch_full:9.2f} {full / torch_full:6.1f}   "
          f"(SQL {full_label}; PyTorch computed: {args.full_steps} x its loop's seconds a step + its decode)")
    print(f"peak memory: SQL {got['peak_mib']:.0f} MiB, PyTorch {ref['peak_mib']:.0f} MiB")
    print(json.dumps({k: v for k, v in {**{f"sql_{k}": v for k, v in got.items()},
                                        **{f"torch_{k}": v for k, v in ref.items()}}.items()
                      if not isinstance(v, np.ndarray)}))


if __name__ == "__main__":
    main()
