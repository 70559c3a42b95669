"""The public consistency models' architectures with random weights: import time, peak memory and one
pass in SQL against one PyTorch pass, in the same run.

    python benchmarks/consistency.py [--engines duckdb hyper] [--lsun]

ImageNet 64 is the shape of openai/diffusers-cd_imagenet64_l2 (class-conditional, scale-shift norms,
resnet resampling; about 296M parameters); its one pass is its whole picture. `--lsun` also asks the
preflight about the LSUN 256 shape (cd_bedroom256_*, ct_cat256, ...) and runs its pass if it fits.
Each SQL engine runs in a fresh process, whose peak resident memory (VmHWM) is reported.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

IMAGENET_64 = dict(
    sample_size=64, in_channels=3, out_channels=3, layers_per_block=3, num_class_embeds=1000,
    block_out_channels=[192, 384, 576, 768], attention_head_dim=64, attn_norm_num_groups=32,
    down_block_types=["ResnetDownsampleBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"],
    up_block_types=["AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "ResnetUpsampleBlock2D"],
    resnet_time_scale_shift="scale_shift", upsample_type="resnet", downsample_type="resnet")
LSUN_256 = dict(
    sample_size=256, in_channels=3, out_channels=3, layers_per_block=2, num_class_embeds=None,
    block_out_channels=[256, 256, 512, 512, 1024, 1024], attention_head_dim=64,
    down_block_types=["ResnetDownsampleBlock2D"] * 3 + ["AttnDownBlock2D"] * 3,
    up_block_types=["AttnUpBlock2D"] * 3 + ["ResnetUpsampleBlock2D"] * 3,
    resnet_time_scale_shift="default", upsample_type="resnet", downsample_type="resnet")
TIMESTEP, LABEL = 1095.5066586684702, 145  # one-step sampling's timestep; a class

CHILD = r"""
import json, sys, time
import numpy as np
from sqldiffusion import SQLUNet
folder, engine, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
labels = json.loads(sys.argv[4])
start = time.perf_counter()
net = SQLUNet(folder, engine)
imported = time.perf_counter() - start
x = np.load(folder + "/x.npy")
start = time.perf_counter()
out = net(x, float(sys.argv[5]), class_labels=labels)
passed = time.perf_counter() - start
np.save(folder + "/out.npy", out)
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"import_s": imported, "pass_s": passed, "peak_gib": peak / 2 ** 20}))
"""


def run(name: str, config: dict, engines: list[str]) -> None:
    import torch
    from diffusers import UNet2DModel

    from sqldiffusion.errors import SQLDiffusionError
    from sqldiffusion.graph.unet_config import UNetConfig
    from sqldiffusion.preflight import check_fits

    size = config["sample_size"]
    try:
        check_fits(UNetConfig.from_dict(config), size, size, 1)
    except SQLDiffusionError as refused:
        print(f"{name}: refused before it starts: {refused}")
        return
    torch.manual_seed(0)
    model = UNet2DModel(**config).eval()
    print(f"{name}: {sum(p.numel() for p in model.parameters()) / 1e6:.0f}M parameters")
    x = np.random.default_rng(0).standard_normal((1, 3, size, size)).astype(np.float32)
    labels = [LABEL] if config.get("num_class_embeds") else None
    with torch.no_grad():
        given = None if labels is None else torch.tensor(labels)
        model(torch.from_numpy(x), torch.tensor([TIMESTEP]), class_labels=given)  # warm
        start = time.perf_counter()
        expected = model(torch.from_numpy(x), torch.tensor([TIMESTEP]), class_labels=given).sample.numpy()
        torch_s = time.perf_counter() - start
    print(f"  PyTorch pass: {torch_s:.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        model.save_pretrained(folder)
        del model
        np.save(Path(folder) / "x.npy", x)
        for engine in engines:
            done = subprocess.run([sys.executable, "-c", CHILD, folder, engine, str(size), json.dumps(labels),
                                   repr(TIMESTEP)], capture_output=True, text=True)
            if done.returncode:
                print(f"  {engine}: failed: {done.stderr.strip().splitlines()[-1]}")
                continue
            found = json.loads(done.stdout.strip().splitlines()[-1])
            error = float(np.abs(np.load(Path(folder) / "out.npy") - expected).max())
            print(f"  {engine}: import {found['import_s']:.1f} s, pass {found['pass_s']:.1f} s "
                  f"({found['pass_s'] / torch_s:.0f}x PyTorch), peak {found['peak_gib']:.1f} GiB, "
                  f"max |SQL - PyTorch| {error:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", default=["duckdb"])
    parser.add_argument("--lsun", action="store_true")
    args = parser.parse_args()
    run("ImageNet 64 (cd_imagenet64_*)", IMAGENET_64, args.engines)
    if args.lsun:
        run("LSUN 256 (cd_bedroom256_*, ct_cat256, ...)", LSUN_256, args.engines)


if __name__ == "__main__":
    main()
