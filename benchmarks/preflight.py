"""The preflight's memory estimate against the measured peak of real passes, same run.

    python benchmarks/preflight.py [--cases demo:1:32 demo:16:32 butterfly:4:64 cifar:8:32 ...]

Each case MODEL:BATCH:SIZE imports the model into DuckDB in memory and runs one pass at that batch
and image size, in a child process of its own, and prints its peak resident memory beside
`preflight.estimate(...)`. `butterfly` and `cifar` are random-initialised models of the public
architectures (tests/configs; needs torch and diffusers); `demo` is the shipped model. The
estimate is meant to bound every measured peak from above.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = ["demo:1:32", "demo:16:32", "demo:4:128", "demo:16:128", "demo:2:256",
         "butterfly:1:64", "butterfly:4:64", "cifar:1:32", "cifar:8:32", "cifar:16:32"]
PASS = """
import sys, numpy as np
from sqldiffusion import SQLUNet
net = SQLUNet(sys.argv[1])
batch, size = int(sys.argv[2]), int(sys.argv[3])
net(np.random.default_rng(0).standard_normal((batch, net.config.in_channels, size, size)).astype(np.float32), 500)
print(int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024)  # afresh at exec
"""


def random_model(name: str, folder: Path) -> Path:
    sys.path.insert(0, str(HERE.parent / "tests"))
    from conftest import make_unet, public_config, save_unet

    configs = {"butterfly": "ddpm-butterflies-64", "cifar": "ddpm-cifar10-32"}
    return save_unet(make_unet(public_config(configs[name])), folder / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=CASES)
    args = parser.parse_args()
    from sqldiffusion.model import load_model
    from sqldiffusion.preflight import estimate

    with tempfile.TemporaryDirectory() as tmp:
        folders: dict[str, str] = {"demo": "demo"}
        print(f"{'case':18} {'measured MiB':>13} {'estimate MiB':>13} {'ratio':>6}")
        rows = []
        for case in args.cases:
            name, batch, size = case.split(":")
            if name not in folders:
                folders[name] = str(random_model(name, Path(tmp)))
            done = subprocess.run([sys.executable, "-c", PASS, folders[name], batch, size],
                                  capture_output=True, text=True, check=True)
            peak = int(done.stdout.split()[-1])
            guess = estimate(load_model(folders[name]).config, int(size), int(size), int(batch)).total
            rows.append({"case": case, "measured": peak, "estimate": guess})
            print(f"{case:18} {peak / 2**20:13.0f} {guess / 2**20:13.0f} {guess / peak:6.2f}", flush=True)
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
