"""`sqldiffusion train`: a tiny model trained a few steps writes a pipeline the SQL engines load."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from safetensors.numpy import load_file

from sqldiffusion.cli import cli
from sqldiffusion.datasets import draw_butterflies
from sqldiffusion.model import load_model

pytestmark = pytest.mark.slow  # trains (a tiny model, some hundred steps)

TINY = dict(sample_size=16, in_channels=3, out_channels=3, layers_per_block=1, block_out_channels=[8, 16],
            down_block_types=["DownBlock2D", "AttnDownBlock2D"], up_block_types=["AttnUpBlock2D", "UpBlock2D"],
            norm_num_groups=4, attention_head_dim=8)


@pytest.fixture
def pool(tmp_path):
    path = tmp_path / "pool.npy"
    np.save(path, draw_butterflies(32, 16, seed=0))
    (tmp_path / "tiny.json").write_text(json.dumps(TINY))
    return path


def run(*args):
    return CliRunner().invoke(cli, ["train", *args])


def test_training_from_a_pool_writes_a_loadable_pipeline_and_resumes(tmp_path, pool):
    out = tmp_path / "run"
    common = ["--data", str(pool), "--out", str(out), "--batch-size", "2", "--unet-config",
              str(tmp_path / "tiny.json"), "--warmup", "5"]
    first = run(*common, "--steps", "20")
    assert first.exit_code == 0, first.output
    curve = (out / "loss.csv").read_text().splitlines()
    assert curve[0] == "step,loss,lr" and curve[1].startswith("20,")
    model = load_model(str(out))
    assert tuple(model.config.block_out_channels) == (8, 16) and model.config.sample_size == 16
    weights = load_file(model.weights_path)
    assert all(w.dtype == np.float16 for w in weights.values())
    resumed = run(*common, "--steps", "40", "--resume")
    assert resumed.exit_code == 0 and "resumed at step 20" in resumed.output, resumed.output
    assert (out / "loss.csv").read_text().splitlines()[-1].startswith("40,")
    changed = load_file(model.weights_path)
    assert any(not np.array_equal(weights[k], changed[k]) for k in weights)  # the average moved on


def test_a_pool_of_the_wrong_size_gets_one_line(tmp_path, pool):
    result = run("--data", str(pool), "--out", str(tmp_path / "run"), "--steps", "1")  # demo model: 32x32
    assert result.exit_code != 0
    assert "expected uint8 pictures of shape (N, 32, 32, 3), got uint8 (32, 16, 16, 3)" in str(result.exception)


def test_minutes_set_the_step_count_from_the_measured_speed(tmp_path, pool):
    # 0.001 minutes is over long before the first measurement at step 200: one step more, then done
    out = tmp_path / "run"
    result = run("--data", str(pool), "--out", str(out), "--batch-size", "1", "--unet-config",
                 str(tmp_path / "tiny.json"), "--minutes", "0.001")
    assert result.exit_code == 0, result.output
    assert "201 steps in about 0.001 minutes" in result.output
    assert (out / "loss.csv").read_text().splitlines()[-1].startswith("201,")
