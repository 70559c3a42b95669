"""An autoencoder's decode: sqldiffusion on DuckDB beside diffusers on PyTorch, same machine, same run.

    python benchmarks/autoencoders.py [--model taesd sd-vae ldm-vq] [--size 256] [--threads 2]
                                      [--repeats 2]

Builds each architecture with random weights (the real models' configs: TAESD, Stable Diffusion's
VAE, ldm-celebahq-256's VQ autoencoder), saved as diffusers saves them, then times one decode of one
picture's latents: PyTorch (best of `--repeats`, after a warm-up) and SQL (best of `--repeats`),
each in a child process of its own so that its peak memory is its own, and prints seconds, their
ratio, the largest difference relative to the picture's range, and each side's peak memory. The
import into DuckDB is timed apart. A decode too big for the machine is refused by the preflight,
and the refusal is printed in place of the SQL side.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from pathlib import Path

import numpy as np
from unet_pass import peak_rss_mib  # benchmarks/ is on the path of a script run from it

# The real models' configs (diffusers' defaults fill the rest), with random weights.
ARCHITECTURES = {
    "taesd": ("AutoencoderTiny", {}),
    "sd-vae": ("AutoencoderKL", {
        "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 2,
        "block_out_channels": [128, 256, 512, 512], "norm_num_groups": 32, "scaling_factor": 0.18215,
        "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4}),
    "ldm-vq": ("VQModel", {
        "in_channels": 3, "out_channels": 3, "latent_channels": 3, "layers_per_block": 2,
        "block_out_channels": [128, 256, 512], "num_vq_embeddings": 8192, "norm_num_groups": 32,
        "down_block_types": ["DownEncoderBlock2D"] * 3, "up_block_types": ["UpDecoderBlock2D"] * 3}),
}


def make_model(name: str, folder: Path) -> None:
    import diffusers
    import torch

    class_name, config = ARCHITECTURES[name]
    torch.manual_seed(0)
    model = getattr(diffusers, class_name)(**config)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    model.save_pretrained(folder)


def torch_side(name, folder, latents, threads, repeats, queue):
    import diffusers
    import torch

    torch.set_num_threads(threads)
    model = getattr(diffusers, ARCHITECTURES[name][0]).from_pretrained(folder).eval()
    x = torch.from_numpy(latents)
    with torch.no_grad():
        out = model.decode(x).sample  # warm-up
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            out = model.decode(x).sample
            best = min(best, time.perf_counter() - start)
    queue.put((best, out.numpy(), peak_rss_mib()))


def sql_side(folder, latents, threads, repeats, queue):
    from sqldiffusion.backends import get_engine
    from sqldiffusion.errors import SQLDiffusionError
    from sqldiffusion.sql_autoencoder import SQLAutoencoder

    engine = get_engine("duckdb")
    engine.con.execute(f"SET threads = {threads}")
    start = time.perf_counter()
    vae = SQLAutoencoder(folder, engine)
    imported = time.perf_counter() - start
    best, out = float("inf"), None
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            out = vae.decode(latents)
            best = min(best, time.perf_counter() - start)
    except SQLDiffusionError as e:
        queue.put((imported, str(e), None, peak_rss_mib()))
        return
    queue.put((imported, best, out, peak_rss_mib()))


def in_child(target, *args):
    queue = mp.get_context("spawn").Queue()
    process = mp.get_context("spawn").Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", default=["taesd"], choices=list(ARCHITECTURES))
    parser.add_argument("--size", type=int, default=256, help="the picture's side (the latents': size / 8 or / 4)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(f"{'model':8} {'size':>5} {'torch s':>8} {'sql s':>8} {'ratio':>6} {'import s':>8} "
          f"{'max err':>8} {'torch MiB':>9} {'sql MiB':>8}")
    for name in args.model:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / name
            make_model(name, folder)
            from sqldiffusion.model import load_autoencoder

            config = load_autoencoder(folder).config
            side = args.size // config.factor
            latents = np.random.default_rng(0).standard_normal((1, config.embed_dim, side, side)).astype(np.float32)
            torch_s, expected, torch_mib = in_child(torch_side, name, folder, latents, args.threads, args.repeats)
            imported, sql_s, got, sql_mib = in_child(sql_side, folder, latents, args.threads, args.repeats)
            if isinstance(sql_s, str):
                print(f"{name:8} {args.size:5d} {torch_s:8.2f}  SQL refused: {sql_s}")
                continue
            error = float(np.abs(got - expected).max() / np.ptp(expected))
            print(f"{name:8} {args.size:5d} {torch_s:8.2f} {sql_s:8.2f} {sql_s / torch_s:6.1f} {imported:8.2f} "
                  f"{error:8.1e} {torch_mib:9.0f} {sql_mib:8.0f}")


if __name__ == "__main__":
    main()
