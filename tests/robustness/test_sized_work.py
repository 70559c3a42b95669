"""Work sized before it starts: a RePaint plan, a list of seeds and the --gif trajectory are counted
by arithmetic and refused in one line when too big, before anything is built or run; --init-noise
is checked against the model before anything runs; and a failing GIF loses no other output."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image
from test_errors import error_of
from test_preflight import run_cli

from sqldiffusion.cli import writing
from sqldiffusion.many import MAX_SEEDS, parse_seeds
from sqldiffusion.model import load_model
from sqldiffusion.pictures import enlargement, grid
from sqldiffusion.preflight import check_fits, estimate
from sqldiffusion.schedulers import NoiseSchedule, RePaintScheduler
from sqldiffusion.schedulers.editing import MAX_REPAINT_PASSES, repaint_passes, repaint_plan

SMALL = 200 << 20  # what a refusal may take: the interpreter and the package, nothing sized by the request


def refused(done, seconds, peak, *words):
    """A command refused in one line (exit 2) quickly and without growing, the line holding `words`."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert all(word in lines[0] for word in words), lines[0]
    assert seconds < 10 and peak < SMALL, (seconds, peak)
    return lines[0]


# ---- RePaint: the passes by formula, the plan refused unbuilt -------------------------------
def test_the_repaint_formula_counts_the_plan_it_builds():
    schedule = NoiseSchedule(num_train_timesteps=60)
    for steps, length, times in itertools.product(range(1, 70), range(1, 14), range(1, 5)):
        plan = repaint_plan(schedule, steps, length, times)
        scheduler = RePaintScheduler(schedule)
        scheduler.set_timesteps(steps, length, times)
        assert scheduler.planned == plan
        passes = sum(t is not None for t in scheduler.timesteps)
        assert repaint_passes(schedule, steps, length, times) == (passes, len(plan)), (steps, length, times)
    assert repaint_passes(NoiseSchedule(), 250, 10, 10)[0] == 2410  # diffusers' defaults, as the message says


def test_a_repaint_plan_of_billions_of_passes_is_refused_unbuilt():
    began = time.perf_counter()
    message = error_of(repaint_plan, NoiseSchedule(), 25, 5, 10 ** 9)
    assert "20,000,000,005 UNet passes" in message and f"{MAX_REPAINT_PASSES:,}" in message
    assert time.perf_counter() - began < 0.5
    passes = repaint_passes(NoiseSchedule(), 1000, 1, 100)[0]
    assert passes == 1000 + 999 * 99 <= MAX_REPAINT_PASSES  # just below the limit: built
    assert len(repaint_plan(NoiseSchedule(), 1000, 1, 100)) == 1000 + 2 * 999 * 99
    assert "100,900 UNet passes" in error_of(repaint_plan, NoiseSchedule(), 1000, 1, 101)


@pytest.mark.slow
def test_inpaint_with_a_billion_resamplings_is_one_line_at_once(tmp_path):
    Image.fromarray(np.full((32, 32, 3), 120, np.uint8)).save(tmp_path / "in.png")
    mask = np.zeros((32, 32), np.uint8)
    mask[8:24, 8:24] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    done, seconds, peak = run_cli("inpaint", "--image", tmp_path / "in.png", "--mask", tmp_path / "mask.png",
                                  "--jump-n-sample", "1000000000", "--db", tmp_path / "x.duckdb",
                                  "--out", tmp_path / "out.png", cwd=tmp_path)
    refused(done, seconds, peak, "UNet passes", "--jump-n-sample")
    assert not (tmp_path / "out.png").exists() and not (tmp_path / "x.duckdb").exists()


# ---- generate-many's seeds: counted from the ranges -----------------------------------------
def test_seeds_are_merged_and_counted_before_any_list():
    assert parse_seeds("0-3,10, 2") == [0, 1, 2, 3, 10]
    assert parse_seeds("8-9,0-4,3-6,7") == list(range(10))  # overlapping and adjacent ranges merge
    assert len(parse_seeds(f"0-{MAX_SEEDS - 1}")) == MAX_SEEDS
    assert parse_seeds(f"{2 ** 63 - 1}") == [2 ** 63 - 1]
    began = time.perf_counter()
    assert "100,000,001 seeds" in error_of(parse_seeds, "0-100000000")
    assert f"{MAX_SEEDS + 1:,} seeds" in error_of(parse_seeds, f"0-{MAX_SEEDS - 1},{MAX_SEEDS}")
    assert "at most 9223372036854775807" in error_of(parse_seeds, f"0-{2 ** 63}")
    assert "0 to 9223372036854775807" in error_of(parse_seeds, "9" * 5000)  # not int()'s digit limit
    for bad in ("5-2", "a", "1,,2", "-3", ""):
        error_of(parse_seeds, bad)
    assert time.perf_counter() - began < 0.5


@pytest.mark.slow
def test_generate_many_with_a_hundred_million_seeds_is_one_line_at_once(tmp_path):
    done, seconds, peak = run_cli("generate-many", "--seeds", "0-100000000", "--output", tmp_path / "many",
                                  cwd=tmp_path)
    refused(done, seconds, peak, "100,000,001 seeds", "run it in parts")
    assert not (tmp_path / "many").exists()


# ---- --gif: its frames in the preflight; written last ---------------------------------------
def test_the_frames_counted_are_the_frames_drawn():
    for batch, pairs in itertools.product((1, 2, 3, 5, 16), (False, True)):
        sample = np.zeros((batch, 3, 32, 32), np.float32)
        drawn = writing.gif_frame((sample, sample) if pairs else sample, enlargement(32))
        count = batch * (2 if pairs else 1)
        assert (writing.grid_pixels(count, 32, 32, 2 if pairs else None, enlargement(32))
                == drawn.shape[0] * drawn.shape[1])
    for count in range(1, 40):
        assert writing.grid_pixels(count, 8, 6) == grid(np.zeros((count, 8, 6, 3), np.uint8)).size // 3


def test_a_run_that_fits_without_its_gif_is_refused_with_it():
    config = load_model("demo").config
    batch, passes = 16, 40  # the case measured: 166 MB without --gif, 868 MB with it
    without = estimate(config, 32, 32, batch).total
    trajectory = writing.gif_peak_bytes(passes, batch, 3, 32, 32, pairs=True)
    assert trajectory > 600 << 20
    limit = without + trajectory // 2
    check_fits(config, 32, 32, batch, limit)
    message = error_of(check_fits, config, 32, 32, batch, limit, trajectory=trajectory)
    assert "for the --gif frames" in message and "drop --gif or take fewer steps" in message


@pytest.mark.slow
def test_generate_refuses_a_gif_that_does_not_fit_before_any_sql(tmp_path):
    config = load_model("demo").config
    trajectory = writing.gif_peak_bytes(2, 2, 3, 32, 32, pairs=True)  # ddim, 2 steps: 2 frames of 2 pairs
    limit = estimate(config, 32, 32, 2).total + trajectory // 2
    args = ["generate", "--batch", "2", "--sampler", "ddim", "--steps", "2", "--max-memory", limit, "--no-ascii",
            "-q", "--db", tmp_path / "x.duckdb", "--out", tmp_path / "x.png", "--save-npy", tmp_path / "x.npy"]
    done, seconds, peak = run_cli(*args, "--gif", tmp_path / "x.gif", cwd=tmp_path)
    refused(done, seconds, peak, "for the --gif frames", "more than --max-memory")
    assert not any((tmp_path / name).exists() for name in ("x.duckdb", "x.png", "x.npy", "x.gif"))
    done = subprocess.run([sys.executable, "-m", "sqldiffusion", *map(str, args)], capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert np.load(tmp_path / "x.npy").shape == (2, 3, 32, 32) and (tmp_path / "x.png").exists()


# A child whose address space is capped a little above what it holds before writing: the picture
# and the array fit, the GIF of 40 steps of 16 pairs (about 700 MB) does not.
GIF_RUN = """
import resource, sys, numpy as np
from pathlib import Path
from sqldiffusion.cli import writing
from sqldiffusion.errors import SQLDiffusionError
folder = Path(sys.argv[1])
rng = np.random.default_rng(0)
frames = [(rng.standard_normal((16, 3, 32, 32)).astype(np.float32),) * 2 for _ in range(40)]
samples = frames[-1][0]
# Pillow's modules loaded
writing.show_and_write(samples, [], None, folder / "warm.png", None, None, False, False, None, None)
size = int(open("/proc/self/status").read().split("VmSize:")[1].split()[0]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (size + (200 << 20), resource.RLIM_INFINITY))
try:
    writing.show_and_write(samples, frames, None, folder / "x.png", folder / "x.gif", folder / "x.npy",
                           False, False, None, None)
except SQLDiffusionError as e:
    print(type(e).__name__, e.exit_code, e)
"""


@pytest.mark.slow
def test_a_gif_that_runs_out_of_memory_loses_nothing_else(tmp_path):
    done = subprocess.run([sys.executable, "-c", GIF_RUN, tmp_path], capture_output=True, text=True, timeout=120)
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and len(lines) == 1, done.stdout + done.stderr
    assert lines[0].startswith("RunFailed 1 --gif ") and "not enough memory to assemble its 40 frames" in lines[0]
    assert np.load(tmp_path / "x.npy").shape == (16, 3, 32, 32)
    assert Image.open(tmp_path / "x.png").size == (1030, 1030)
    assert not (tmp_path / "x.gif").exists()


# The peak of writing a GIF of fake steps (the run's own memory aside), against its estimate
GIF_PEAK = """
import sys, numpy as np
from pathlib import Path
from sqldiffusion.cli import writing
batch, steps, size, pairs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "pairs"
status = lambda key: int(open("/proc/self/status").read().split(key)[1].split()[0]) * 1024
rng = np.random.default_rng(0)
draw = lambda: rng.standard_normal((batch, 3, size, size)).astype(np.float32)
samples = draw()
# Pillow's modules loaded
writing.show_and_write(samples, [], None, Path("warm.png"), None, None, False, False, None, None)
before = status("VmRSS:")
frames = [(draw(), draw()) if pairs else draw() for _ in range(steps)]
writing.show_and_write(samples, frames, None, Path("x.png"), Path("x.gif"), None, False, False, None, None)
print(status("VmHWM:") - before, writing.gif_peak_bytes(steps, batch, 3, size, size, pairs))
"""


@pytest.mark.slow
@pytest.mark.parametrize("case", ["16 40 32 pairs", "1 300 32 single", "3 60 64 single"])
def test_the_gif_estimate_bounds_its_measured_peak(tmp_path, case):
    done = subprocess.run([sys.executable, "-c", GIF_PEAK, *case.split()], capture_output=True, text=True,
                          cwd=tmp_path, check=True)
    measured, estimated = map(int, done.stdout.split())
    assert measured <= estimated <= 1.5 * measured, (measured, estimated)


@pytest.mark.slow
def test_interpolate_figures_and_export_sql_size_their_batch_first(tmp_path):
    for args, words in (
            (["interpolate", "--frames", "1000000000", "--db", tmp_path / "x.duckdb", "--out", tmp_path / "x.png"],
             ("1000000000 image(s)", "(--frames)")),
            (["figures", "--count", "100000000", "--db", tmp_path / "x.duckdb", "--out", tmp_path / "figures"],
             ("100000000 image(s)", "(--count)")),
            (["figures", "--all-steps", "5000", "--out", tmp_path / "figures"], ("--all-steps 5000",)),
            (["export-sql", "--batch", "1000000000", "--out", tmp_path / "x.sql"], ("1000000000 image(s)",))):
        refused(*run_cli(*args, cwd=tmp_path), *words)
    assert not any((tmp_path / name).exists() for name in ("x.duckdb", "x.png", "figures", "x.sql"))
    done, _, _ = run_cli("export-sql", "--batch", "4", "--max-memory", "100M", "--out", tmp_path / "x.sql",
                         cwd=tmp_path)
    assert done.returncode == 2 and "more than --max-memory" in done.stderr and not (tmp_path / "x.sql").exists()


# ---- --init-noise: checked against the model before anything runs --------------------------
def _nan() -> np.ndarray:
    noise = np.zeros((1, 3, 32, 32), np.float32)
    noise[0, 1, 2, 3] = np.nan
    return noise


BAD_NOISE = {
    "one_dimension": (np.zeros(5, np.float32),
                      "has shape (5,); it must be (B, C, H, W) for this model: (B, 3, 32, 32)"),
    "channels": (np.zeros((2, 4, 32, 32), np.float32), "has shape (2, 4, 32, 32); it must be (B, C, H, W) for this "
                                                       "model: (2, 3, 32, 32)"),
    "size": (np.zeros((1, 3, 30, 30), np.float32), "image size 30x30 does not fit this model"),
    "no_images": (np.zeros((0, 3, 32, 32), np.float32), "has shape (0, 3, 32, 32)"),
    "no_pixels": (np.zeros((1, 3, 0, 0), np.float32), "image size 0x0 does not fit this model"),
    "five_dimensions": (np.zeros((1, 1, 3, 32, 32), np.float32), "has shape (1, 1, 3, 32, 32)"),
    "nan": (_nan(), "holds NaN or infinite values"),
    "beyond_float32": (np.full((1, 3, 32, 32), 1e300), "holds NaN or infinite values (as float32)"),
    "integers": (np.zeros((1, 3, 32, 32), np.int32), "holds int32 values; save the noise as float32"),
    "objects": (np.array([None] * 4, dtype=object), "Object arrays cannot be loaded"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(BAD_NOISE))
def test_init_noise_of_the_wrong_shape_or_values_is_one_line_before_anything_runs(tmp_path, case):
    array, words = BAD_NOISE[case]
    np.save(tmp_path / "noise.npy", array, allow_pickle=array.dtype == object)
    done, seconds, peak = run_cli("generate", "--init-noise", tmp_path / "noise.npy", "--db", tmp_path / "x.duckdb",
                                  "--out", tmp_path / "x.png", "--gif", tmp_path / "x.gif", cwd=tmp_path)
    line = refused(done, seconds, peak, words)
    assert line.startswith(f"error: --init-noise {tmp_path / 'noise.npy'}")
    assert not any((tmp_path / name).exists() for name in ("x.duckdb", "x.png", "x.gif"))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_init_noise_that_is_no_regular_file_is_one_line_at_once(tmp_path, kind):
    """A FIFO never delivers and /dev/zero never ends: neither is opened for reading."""
    import os

    noise = tmp_path / "noise.npy"
    os.mkfifo(noise) if kind == "fifo" else noise.symlink_to("/dev/zero")
    done, seconds, peak = run_cli("generate", "--init-noise", noise, "--out", tmp_path / "x.png", cwd=tmp_path)
    line = refused(done, seconds, peak, "must be a regular file")
    assert "--init-noise" in line and not (tmp_path / "x.png").exists()


@pytest.mark.slow
def test_edit_takes_noise_of_its_pictures_size_only(tmp_path):
    Image.fromarray(np.full((32, 32, 3), 120, np.uint8)).save(tmp_path / "in.png")
    np.save(tmp_path / "noise.npy", np.zeros((2, 3, 64, 64), np.float32))  # a size generate takes, not edit
    refused(*run_cli("edit", "--image", tmp_path / "in.png", "--init-noise", tmp_path / "noise.npy",
                     "--out", tmp_path / "x.png", cwd=tmp_path), "has shape (2, 3, 64, 64)", "(2, 3, 32, 32)")


@pytest.mark.slow
def test_one_image_of_noise_makes_its_gif_and_array(tmp_path):
    """(C, H, W) is one image: its GIF once failed after the run (the array lost with it)."""
    noise = np.random.default_rng(0).standard_normal((3, 32, 32)).astype(np.float32)
    np.save(tmp_path / "noise.npy", noise)
    done = subprocess.run([sys.executable, "-m", "sqldiffusion", "generate", "--init-noise", "noise.npy", "--sampler",
                           "ddim", "--steps", "2", "--gif", "x.gif", "--save-npy", "x.npy", "--no-ascii", "-q"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert np.load(tmp_path / "x.npy").shape == (1, 3, 32, 32)
    assert Image.open(tmp_path / "x.gif").n_frames == 3  # the noise, then each step


# ---- the Python API: a batch of copies of a picture is sized before it is made ----------------
def test_editing_pipelines_refuse_a_huge_batch_before_copying_the_picture():
    from sqldiffusion import SQLUNet
    from sqldiffusion.editing import SQLImg2ImgPipeline, SQLInpaintPipeline

    net = SQLUNet("demo")
    try:
        picture = np.zeros((3, 32, 32), np.float32)
        mask = np.zeros((32, 32), np.float32)
        mask[8:24, 8:24] = 1
        began = time.perf_counter()
        for call in (lambda: SQLImg2ImgPipeline(net)(picture, batch_size=10 ** 9, output_type="latent"),
                     lambda: SQLInpaintPipeline(net)(picture, mask, batch_size=10 ** 9, output_type="latent")):
            assert "1000000000 image(s) of 32x32" in error_of(call)  # 12 TB of copies otherwise
        assert time.perf_counter() - began < 5
        assert net.engine.query("SELECT count(*) FROM duckdb_tables() WHERE temporary")[0][0] == 0
    finally:
        net.engine.close()
