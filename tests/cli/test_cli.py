"""The `sqldiffusion unet` command end to end."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner
from conftest import random_sample, reference

from sqldiffusion.cli import cli


def test_unet_command_matches_diffusers(small_model, tmp_path):
    model, folder = small_model
    x = random_sample(2, 3, 16)
    np.save(tmp_path / "x.npy", x)
    result = CliRunner().invoke(cli, ["unet", "--model", str(folder), "--input", str(tmp_path / "x.npy"),
                                      "--timestep", "999,1", "--output", str(tmp_path / "eps.npy"), "--profile"])
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(np.load(tmp_path / "eps.npy"), reference(model, x, [999, 1]), atol=1e-4)
    assert "conv3x3" in result.output and "total" in result.output


def test_single_image_and_show_sql(small_model, tmp_path):
    model, folder = small_model
    x = random_sample(1, 3, 16)
    np.save(tmp_path / "x.npy", x[0])
    result = CliRunner().invoke(cli, ["unet", "-m", str(folder), "-i", str(tmp_path / "x.npy"), "-t", "7",
                                      "-o", str(tmp_path / "eps.npy"), "--show-sql"])
    assert result.exit_code == 0, result.output
    out = np.load(tmp_path / "eps.npy")
    assert out.shape == (3, 16, 16)
    np.testing.assert_allclose(out, reference(model, x, 7)[0], atol=1e-4)
    assert "CREATE TEMP TABLE" in result.output and "list_dot_product" in result.output
    assert "-- down_blocks.0.resnets.0.conv1 (conv3x3)" in result.output
