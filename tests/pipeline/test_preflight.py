"""Preflight: a run's peak memory is estimated before anything is imported or run, and a run that
does not fit is refused in one line, within seconds and without growing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest
from test_errors import error_of

from sqldiffusion import SQLUNet
from sqldiffusion.graph import build_unet
from sqldiffusion.model import load_model
from sqldiffusion.model.source import DEMO_FOLDER
from sqldiffusion.pipeline import SQLDiffusionPipeline
from sqldiffusion.preflight import BASE_BYTES, check_fits, estimate, parse_size, peak_values


def test_sizes_parse():
    assert (parse_size("8G") == 8 << 30 and parse_size("512M") == 512 << 20
            and parse_size("2.5GiB") == int(2.5 * (1 << 30)))
    assert parse_size("1000") == 1000
    for bad in ("abc", "-1G", "0", "nanG", "infG", ""):
        assert "--max-memory" in error_of(parse_size, bad)


def test_the_estimate_grows_with_the_batch_and_the_size():
    config = load_model("demo").config
    one, four = estimate(config, 32, 32, 1), estimate(config, 32, 32, 4)
    assert four.activations == 4 * one.activations and four.weights == one.weights
    assert estimate(config, 64, 64, 1).activations > 3 * one.activations
    # the live relations at the deepest point include every skip the up path will read
    graph = build_unet(config, 32, 32)
    skips = sum(n.shape[0] * n.shape[1] * n.shape[2] for n in graph.nodes
                if n.op != "time_proj" and len(n.shape) == 3 and n.label.startswith("down_blocks"))
    assert peak_values(graph) > skips / 4


# A process's own peak memory: VmHWM starts afresh at exec (ru_maxrss would count the parent's, forked)
PEAK = "int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) * 1024"
MEASURE = f"""
import sys, numpy as np
from sqldiffusion import SQLUNet
net = SQLUNet("demo")
net(np.random.default_rng(0).standard_normal((int(sys.argv[1]), 3, 64, 64)).astype(np.float32), 500)
print({PEAK})
"""
# the command line, which writes its peak memory to the file named by its first argument when it exits
CLI = f"""
import atexit, sys
from pathlib import Path
report = Path(sys.argv.pop(1))
atexit.register(lambda: report.write_text(str({PEAK})))
from sqldiffusion.cli import main
main()
"""


@pytest.mark.slow
def test_the_estimate_bounds_a_measured_pass_from_above():
    config = load_model("demo").config
    for batch in (1, 4):
        done = subprocess.run([sys.executable, "-c", MEASURE, str(batch)], capture_output=True, text=True, check=True)
        peak = int(done.stdout.split()[-1])
        estimated = estimate(config, 64, 64, batch).total
        assert peak <= estimated <= 8 * peak, (batch, peak, estimated)


def run_cli(*args, cwd):
    """The command's result, its seconds and its peak memory in bytes."""
    report = cwd / "peak"
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CLI, report, *map(str, args)], capture_output=True,
                          text=True, cwd=cwd)
    return done, time.perf_counter() - began, int(report.read_text())


@pytest.mark.slow
def test_work_too_big_is_refused_within_seconds_and_without_growing(tmp_path):
    big = shutil.copytree(DEMO_FOLDER, tmp_path / "big")
    config = json.loads((big / "unet" / "config.json").read_text())
    (big / "unet" / "config.json").write_text(json.dumps({**config, "sample_size": 4096}))
    for args in (["--batch", "10000"], ["--model", big], ["--engine", "postgres", "--batch", "10000"]):
        done, seconds, peak = run_cli("generate", *args, "--out", tmp_path / "x.png", "--no-ascii", "-q",
                                      cwd=tmp_path)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1 and "would need about" in lines[0], done.stderr
        assert "GiB of memory" in lines[0] and "available on this machine" in lines[0]
        assert seconds < 20 and peak < 2 << 30 and not (tmp_path / "x.png").exists()
    done, _, _ = run_cli("generate", "--batch", "4", "--max-memory", "100M", "--out", tmp_path / "x.png", cwd=tmp_path)
    assert done.returncode == 2 and "more than --max-memory (0.1 GiB)" in done.stderr


def test_the_python_api_refuses_before_any_statement():
    net = SQLUNet("demo")
    try:
        pipe = SQLDiffusionPipeline(net)
        assert "would need about" in error_of(pipe, batch_size=100_000, timesteps=[500, 0], output_type="latent")
        assert net.engine.query("SELECT count(*) FROM duckdb_tables() WHERE temporary")[0][0] == 0
    finally:
        net.engine.close()
    # not even the weights fit: refused before an engine is opened
    assert "more than --max-memory" in error_of(SQLUNet, "demo", max_memory=BASE_BYTES)


def test_a_limit_given_here_is_the_one_used():
    config = load_model("demo").config
    needed = estimate(config, 32, 32, 2).total
    check_fits(config, 32, 32, 2, needed)
    assert "more than --max-memory" in error_of(check_fits, config, 32, 32, 2, needed - 1)
