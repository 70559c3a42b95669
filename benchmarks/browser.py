"""The exported page's speed: one UNet pass and one default picture on native DuckDB, on DuckDB-WASM
in Node (the blocking build) and in headless Chromium (the page, from a local static server), in the
same run; and the time until the page shows its first step, the download of the weights included.

    python benchmarks/browser.py [--model demo] [--repeats 3] [--modules tests/web/node_modules]

Needs DuckDB-WASM installed with npm (npm ci --prefix tests/web), Node and Chromium. The page runs
DuckDB on one thread (static hosts do not send the headers WASM threads need), so native DuckDB is
timed at one thread as well as at its default.
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

from sqldiffusion.backends import get_engine
from sqldiffusion.exporters.web.export import export_web
from sqldiffusion.model import load_model
from sqldiffusion.pipeline import SQLDiffusionPipeline, image_size
from sqldiffusion.recipe import DEFAULT, DEFAULT_KARRAS, DEFAULT_SAMPLER, DEFAULT_STEPS
from sqldiffusion.sql_unet import SQLUNet

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def native(model, threads: int | None, repeats: int, seed: int) -> dict:
    engine = get_engine("duckdb")
    if threads:
        engine.con.execute(f"SET threads = {threads}")
    net = SQLUNet(model, engine)
    h, w = image_size(net.config)
    x = np.random.default_rng(0).standard_normal((1, net.config.in_channels, h, w)).astype(np.float32)
    net(x, [500])  # warm
    passes = []
    for _ in range(repeats):
        began = time.perf_counter()
        net(x, [500])
        passes.append(time.perf_counter() - began)
    pipe = SQLDiffusionPipeline(net)
    pipe.set_progress_bar_config(disable=True)
    pictures = []
    for _ in range(repeats):
        began = time.perf_counter()
        sample = pipe(num_inference_steps=DEFAULT_STEPS, sampler=DEFAULT_SAMPLER, use_karras_sigmas=DEFAULT_KARRAS,
                      seed=seed, output_type="latent").images
        pictures.append(time.perf_counter() - began)
    engine.close()
    return {"pass": min(passes), "picture": min(pictures), "sample": sample}


def node(folder: Path, modules: Path, key: str, repeats: int, seed: int) -> dict:
    out = folder.parent / "node.f32"
    runs = []
    for _ in range(repeats):
        done = subprocess.run(["node", str(HERE.parent / "tests" / "web" / "node_run.mjs"), str(folder), str(modules),
                               key, str(seed), str(out), str(repeats)], capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout))
    return {"pass": min(min(r["pass_seconds"]) for r in runs), "picture": min(r["run_seconds"] for r in runs),
            "load": min(r["load_seconds"] for r in runs), "sample": np.fromfile(out, dtype="<f4")}


def chromium(folder: Path, repeats: int, seed: int) -> dict:
    from playwright.sync_api import sync_playwright
    from test_web import finished, open_page, serve

    server, url = serve(folder)
    found = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            for _ in range(repeats):
                page = open_page(browser, url + f"index.html?seed={seed}&autorun=1")  # a fresh page: download included
                assert finished(page) == "done", page.inner_text("#error")
                found.append(page.evaluate("window.sqldiffusionResult"))
                page.close()
            browser.close()
    finally:
        server.shutdown()
    return {"pass": min(min(r["pass_seconds"]) for r in found), "picture": min(r["seconds"] for r in found),
            "first_step": min(r["first_step_ms"] for r in found) / 1000,
            "sample": np.asarray(found[-1]["data"], dtype=np.float32)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--modules", type=Path, default=HERE.parent / "tests" / "web" / "node_modules")
    args = parser.parse_args()
    model = load_model(args.model)
    chosen = [DEFAULT]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "site"
        export_web(folder, model, chosen, duckdb_wasm=str(args.modules), max_batch=1)
        results = {"native DuckDB (default threads)": native(model, None, args.repeats, args.seed),
                   "native DuckDB (1 thread)": native(model, 1, args.repeats, args.seed),
                   "DuckDB-WASM in Node": node(folder, args.modules, f"{chosen[0].key}@1", args.repeats, args.seed),
                   "DuckDB-WASM in Chromium": chromium(folder, args.repeats, args.seed)}
    base = results["native DuckDB (default threads)"]
    print(f"model {args.model}, {chosen[0].label}, seed {args.seed}, best of {args.repeats}")
    print(f"{'':34s} {'pass s':>8s} {'x native':>9s} {'picture s':>10s} {'x native':>9s}  max |diff|")
    for name, r in results.items():
        diff = np.abs(r["sample"].ravel() - base["sample"].ravel()).max()
        print(f"{name:34s} {r['pass']:8.3f} {r['pass'] / base['pass']:9.2f} {r['picture']:10.2f} "
              f"{r['picture'] / base['picture']:9.2f}  {diff:.2e}")
    page = results["DuckDB-WASM in Chromium"]
    print(f"the page's first step shown {page['first_step']:.2f} s after it began loading (weights downloaded, "
          f"tables created, DuckDB-WASM started); Node's weight load {results['DuckDB-WASM in Node']['load']:.2f} s")
    print(f"target: the default picture in the browser within 3x native: {page['picture'] / base['picture']:.2f}x")


if __name__ == "__main__":
    main()
