"""The web page's overhead: one picture made as the command line makes it, and through the page's
server (a real uvicorn server and an HTTP client reading the whole event stream: every statement
reported, x_t and x0 fetched, encoded and sent after every step, the picture stored in the gallery),
alternately in one process on one engine.

    python benchmarks/serve_overhead.py [--model demo] [--engine duckdb] [--steps N | --timesteps 500,250,125,60,0]
                                        [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import threading
import time

import httpx
import uvicorn

from sqldiffusion.backends import get_engine
from sqldiffusion.pictures import grid, to_pixels
from sqldiffusion.pipeline import SQLDiffusionPipeline
from sqldiffusion.serve.app import create_app
from sqldiffusion.serve.jobs import png_bytes
from sqldiffusion.serve.server import serve_models


def command_line(served, timesteps, seed) -> float:
    """What `sqldiffusion generate` does around the loop: the pipeline, then the picture encoded."""
    began = time.perf_counter()
    pipe = SQLDiffusionPipeline(served.net, served.scheduler)
    pipe.set_progress_bar_config(disable=True)
    samples = pipe(timesteps=timesteps, seed=seed, output_type="latent").images
    png_bytes(samples)
    grid(to_pixels(samples))
    return time.perf_counter() - began


def page(url, model, timesteps, seed) -> float:
    began = time.perf_counter()
    job = httpx.post(f"{url}/api/jobs", json={"model": model, "schedule": "list", "seed": seed,
                                               "timesteps": ",".join(map(str, timesteps))}).json()
    with httpx.stream("GET", f"{url}/api/jobs/{job['id']}/events", timeout=None) as response:
        for line in response.iter_lines():
            if line.startswith("data: ") and json.loads(line[6:])["type"] in ("done", "cancelled", "failed"):
                break
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="demo")
    parser.add_argument("--engine", default="duckdb")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--timesteps", default="500,250,125,60,0")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    engine = get_engine(args.engine)
    models = serve_models(engine, [args.model])
    served = models[args.model]
    timesteps = [int(t) for t in args.timesteps.split(",")]
    if args.steps:
        from sqldiffusion.recipe import Recipe
        timesteps = Recipe("ddpm", args.steps, None, False).planned(served.scheduler.config).planned
    app = create_app(engine, models)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"

    command_line(served, timesteps, 0)  # warm both paths
    page(url, args.model, timesteps, 0)
    cli_times, page_times = [], []
    for seed in range(1, args.repeats + 1):
        cli_times.append(command_line(served, timesteps, seed))
        page_times.append(page(url, args.model, timesteps, seed))
    server.should_exit = True
    thread.join()
    engine.close()
    a, b = statistics.median(cli_times), statistics.median(page_times)
    print(f"model {args.model}, {args.engine}, {len(timesteps)} steps, {args.repeats} runs each, alternating")
    print(f"{'command line':>14}: median {a:.3f} s  ({', '.join(f'{t:.2f}' for t in cli_times)})")
    print(f"{'page':>14}: median {b:.3f} s  ({', '.join(f'{t:.2f}' for t in page_times)})")
    print(f"{'overhead':>14}: {100 * (b / a - 1):+.1f}%")


if __name__ == "__main__":
    main()
