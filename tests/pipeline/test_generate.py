"""`sqldiffusion generate`, `figures`, the pipeline API and the pictures."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import random_sample
from PIL import Image

from sqldiffusion import SQLDiffusionError
from sqldiffusion.cli import cli
from sqldiffusion.pictures import RAMP, ascii_art, to_pixels
from sqldiffusion.pipeline import SQLDiffusionPipeline

torch = pytest.importorskip("torch")


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=True)
    return result


def error_line(result) -> str:
    assert isinstance(result.exception, SQLDiffusionError), result.output
    message = str(result.exception)
    assert "\n" not in message
    return message


@pytest.mark.slow
def test_pipeline_output_types_and_seeds(small_model, capsys):
    _, folder = small_model
    pipe = SQLDiffusionPipeline.from_pretrained(folder)
    images = pipe(batch_size=2, timesteps=[500, 0], seed=1).images
    assert len(images) == 2 and images[0].size == (16, 16) and images[0].mode == "RGB"
    array = pipe(batch_size=2, timesteps=[500, 0], seed=1, output_type="np").images
    assert array.shape == (2, 16, 16, 3) and 0 <= array.min() and array.max() <= 1
    np.testing.assert_array_equal(np.asarray(images[1]), np.round(array[1] * 255).astype(np.uint8))
    by_generator = pipe(batch_size=2, timesteps=[500, 0], generator=torch.Generator().manual_seed(1),
                        output_type="np").images
    np.testing.assert_array_equal(by_generator, array)  # a torch generator's seed is the SQL seed
    steps = []
    capsys.readouterr()
    pipe.set_progress_bar_config(disable=False)  # the pipeline draws its own progress bar
    pipe(num_inference_steps=3, seed=0, callback=lambda step, peek: steps.append((step.timestep, peek().shape)))
    assert steps == [(666, (1, 3, 16, 16)), (333, (1, 3, 16, 16)), (0, (1, 3, 16, 16))]
    assert "3/3" in capsys.readouterr().err


@pytest.mark.parametrize("options, message", [
    (dict(sampler="lms"), "unknown sampler"),
    (dict(sampler="heun", add_noise=False), "heun adds no noise"),
    (dict(sampler="euler-a", use_karras_sigmas=True), "karras"),
    (dict(batch_size=0), "batch size"),
    (dict(sampler="ddim", eta=2.0), "eta"),
    (dict(timesteps=[0, 500]), "descending"),
    (dict(output_type="tensor"), "output_type"),
])
def test_pipeline_bad_input(small_model, options, message):
    _, folder = small_model
    pipe = SQLDiffusionPipeline.from_pretrained(folder)
    options = {"timesteps": [10, 0], **options}
    with pytest.raises(SQLDiffusionError) as e:
        pipe(**options)
    assert message in str(e.value)


@pytest.mark.slow
def test_generate_prints_ascii_and_writes_png_gif_npy(small_model, tmp_path):
    _, folder = small_model
    out, gif, npy = tmp_path / "b.png", tmp_path / "b.gif", tmp_path / "x0.npy"
    result = run("generate", "--model", folder, "--batch", 2, "--seed", 3, "--out", out, "--gif", gif,
                 "--save-npy", npy, "--quiet", "--blog")
    assert result.exit_code == 0, result.output
    art = result.output.strip("\n").split("\n\n")
    assert len(art) == 2  # one picture per image
    lines = art[0].split("\n")
    assert len(lines) == 32 and all(len(line) == 64 for line in lines) and set("".join(lines)) <= set(RAMP)
    samples = np.load(npy)
    assert samples.shape == (2, 3, 16, 16) and -1 <= samples.min() and samples.max() <= 1
    assert ascii_art(to_pixels(samples)[0], stretch=True) == art[0]
    png = np.asarray(Image.open(out))
    scale = 16  # 16-pixel images are enlarged to 256
    assert png.shape == (16 * scale, 2 * 16 * scale + 2, 3)
    np.testing.assert_array_equal(png[:16 * scale, :16 * scale][::scale, ::scale], to_pixels(samples)[0])
    with Image.open(gif) as frames:
        assert frames.n_frames == 5  # one per step of 500,250,125,60,0
        # each frame: per image, x_t and the clean picture the step predicts side by side
        assert frames.size == (2 * 16 * scale + 2, 2 * 16 * scale + 2)
        frames.seek(4)
        last = np.asarray(frames.convert("RGB"))
    left, right = last[:, :16 * scale], last[:, 16 * scale + 2:]
    np.testing.assert_array_equal(left, right)  # the last step (t=0) lands on its own prediction
    assert not np.array_equal(last[:16 * scale], last[16 * scale + 2:])  # two different images


@pytest.mark.slow
def test_generate_from_init_noise_matches_the_pipeline(small_model, tmp_path):
    _, folder = small_model
    x_t = tmp_path / "x_t.npy"
    np.save(x_t, random_sample(1, 3, 16, seed=9))
    out = tmp_path / "x0.npy"
    result = run("generate", "--model", folder, "--init-noise", x_t, "--sampler", "ddim", "--steps", 4,
                 "--save-npy", out, "--out", tmp_path / "p.png", "--no-ascii", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.output == ""
    pipe = SQLDiffusionPipeline.from_pretrained(folder)
    expected = pipe(num_inference_steps=4, sampler="ddim", init_noise=np.load(x_t), output_type="latent").images
    np.testing.assert_array_equal(np.load(out), expected)


@pytest.mark.parametrize("args, message", [
    (["--timesteps", "100,200"], "not strictly descending"),
    (["--timesteps", "1000,0"], "[0, 1000)"),
    (["--steps", "5000"], "more than the 1000"),
    (["--batch", "0"], "at least one image"),
    (["--sampler", "lms"], "unknown sampler"),
    (["--timesteps", "a,b"], "whole numbers"),
    (["--out", "/nonexistent-folder/b.png"], "does not exist"),
])
def test_generate_bad_input_gets_one_line_and_writes_nothing(small_model, tmp_path, args, message):
    _, folder = small_model
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    result = run("generate", "--model", folder, "--out", outputs / "b.png", "--db", outputs / "m.duckdb", *args)
    assert message in error_line(result)
    assert list(outputs.iterdir()) == []  # checked before anything is imported or written


@pytest.mark.slow
def test_figures_command(small_model, tmp_path):
    _, folder = small_model
    result = run("figures", "--model", folder, "--out", tmp_path / "fig", "--count", 2, "--all-steps", 2)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "fig").iterdir())
    assert names == ["all_steps.png", "all_steps_no_noise.png", "four_steps.png", "one_shot_999.png",
                     "timestep_embedding.png"]
