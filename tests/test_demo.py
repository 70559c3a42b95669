"""The shipped demo model: it loads offline, `sqldiffusion generate` uses it by default, and what it
draws through SQL measures like the procedural butterflies it was trained on."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from sqldiffusion.cli import cli
from sqldiffusion.datasets import draw_butterflies, picture_statistics
from sqldiffusion.model import load_model
from sqldiffusion.pictures import RAMP, to_pixels

pytestmark = pytest.mark.slow  # whole pictures of the shipped model

MEASURES = ("symmetry", "background", "brightness", "saturation", "edge_background")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """16 pictures from the default command (demo model, the blog's schedule, DuckDB), seed 0."""
    folder = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(cli, ["generate", "--batch", "16", "--seed", "0", "--quiet",
                                      "--out", str(folder / "grid.png"), "--save-npy", str(folder / "x0.npy")])
    assert result.exit_code == 0, result.output
    return result.output, to_pixels(np.load(folder / "x0.npy"))


@pytest.fixture(scope="module")
def training_ranges():
    """Per-image measures of the training distribution: the 2nd and 98th percentiles."""
    stats = picture_statistics(draw_butterflies(2000, 32, seed=12345))
    return {k: np.percentile(stats[k], [2, 98]) for k in MEASURES}


def test_the_demo_model_ships_small_and_loads_offline():
    model = load_model("demo")
    assert model.config.sample_size == 32
    assert model.weights_path.stat().st_size <= 10 * 2 ** 20
    assert model.scheduler_config["beta_schedule"] == "linear"


def test_generate_defaults_to_the_demo_and_prints_64_columns(generated):
    output, pixels = generated
    pictures = output.strip("\n").split("\n\n")
    assert len(pictures) == 16 and pixels.shape == (16, 32, 32, 3)
    for picture in pictures:
        lines = picture.split("\n")
        assert len(lines) == 32 and {len(line) for line in lines} == {64} and set(picture) <= set(RAMP + "\n")


def test_the_pictures_measure_like_the_training_butterflies(generated, training_ranges):
    _, pixels = generated
    stats = picture_statistics(pixels)
    for k in MEASURES:
        low, high = training_ranges[k]
        median = float(np.median(stats[k]))
        assert low <= median <= high, f"{k}: median {median:.3f} of the generated pictures outside [{low:.3f}, {high:.3f}]"


def test_pure_noise_measures_outside_those_ranges(training_ranges):
    noise = to_pixels(np.random.default_rng(0).standard_normal((16, 3, 32, 32)).astype(np.float32))
    stats = picture_statistics(noise)
    outside = [k for k in MEASURES if not training_ranges[k][0] <= np.median(stats[k]) <= training_ranges[k][1]]
    assert len(outside) >= 4, outside
