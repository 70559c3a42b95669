"""Image-to-image in SQL against diffusers: the plan, the noising, and whole runs from a given noise."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SMALL, make_unet, random_sample, save_unet
from PIL import Image

from sqldiffusion import SQLDiffusionError, SQLUNet
from sqldiffusion.cli import cli
from sqldiffusion.editing import SQLImg2ImgPipeline
from sqldiffusion.pictures import load_picture, to_pixels
from sqldiffusion.pipeline import SAMPLE, start
from sqldiffusion.scheduler import SCHEDULE, NoiseSchedule, plan, schedule_sql, strength_plan

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")


@pytest.mark.parametrize("steps", [5, 10, 50])
@pytest.mark.parametrize("strength", [0.1, 0.35, 0.8, 1.0])
def test_the_plan_is_diffusers_img2img_plan(steps, strength):
    """diffusers' img2img pipelines: init = min(int(N * strength), N), timesteps[N - init:]."""
    scheduler = diffusers.DDIMScheduler()
    scheduler.set_timesteps(steps)
    init = min(int(steps * strength), steps)
    expected = scheduler.timesteps[steps - init:].tolist()
    if not expected:
        with pytest.raises(SQLDiffusionError, match="keeps none"):
            strength_plan(plan(NoiseSchedule(), steps=steps), strength)
        return
    assert strength_plan(plan(NoiseSchedule(), steps=steps), strength) == expected


@pytest.mark.parametrize("t", [0, 250, 999])
def test_noising_a_picture_equals_add_noise(engine, t):
    x0, eps = np.tanh(random_sample(2, 3, 8, seed=1)), random_sample(2, 3, 8, seed=2)
    engine.create(SCHEDULE, schedule_sql(NoiseSchedule(), engine.dialect))
    start(engine, x0.shape, 0, t, eps, x0)
    got = engine.fetch_image(SAMPLE, x0.shape)
    engine.drop(SAMPLE, SCHEDULE)
    expected = diffusers.DDPMScheduler().add_noise(torch.from_numpy(x0), torch.from_numpy(eps), torch.tensor([t]))
    np.testing.assert_allclose(got, expected.numpy(), atol=2e-6, rtol=0)


@pytest.fixture(scope="module")
def tame_model(tmp_path_factory):
    """A small random model with its output layer scaled down, so that a loop of steps measures our
    arithmetic, not a random network's chaos (see test_sampler.tame_model)."""
    model = make_unet(SMALL, scale=0.02)
    with torch.no_grad():
        model.conv_out.weight.mul_(0.1)
        model.conv_out.bias.mul_(0.1)
    return model, save_unet(model, tmp_path_factory.mktemp("tame") / "unet")


def test_img2img_with_ddim_matches_diffusers_end_to_end(tame_model, engine):
    model, folder = tame_model
    x0, eps = np.tanh(random_sample(2, 3, 16, seed=5)), random_sample(2, 3, 16, seed=6)
    scheduler = diffusers.DDIMScheduler()
    scheduler.set_timesteps(20)
    timesteps = scheduler.timesteps[20 - int(20 * 0.6):]
    sample = scheduler.add_noise(torch.from_numpy(x0), torch.from_numpy(eps), timesteps[:1])
    with torch.no_grad():
        for t in timesteps:
            sample = scheduler.step(model(sample, t).sample, t, sample).prev_sample
    pipe = SQLImg2ImgPipeline(SQLUNet(folder, engine))
    got = pipe(image=x0, strength=0.6, num_inference_steps=20, sampler="ddim", noise=eps, output_type="latent").images
    np.testing.assert_allclose(got, sample.numpy(), atol=1e-3, rtol=0)


def test_a_batch_of_one_picture_varies_and_strength_steers(small_model):
    _, folder = small_model
    pipe = SQLImg2ImgPipeline.from_pretrained(folder)
    x0 = np.tanh(random_sample(1, 3, 16, seed=7))
    light = pipe(image=x0, strength=0.2, num_inference_steps=10, batch_size=2, seed=3, output_type="latent").images
    heavy = pipe(image=x0, strength=1.0, num_inference_steps=10, batch_size=2, seed=3, output_type="latent").images
    assert np.abs(light[0] - light[1]).max() > 0  # each copy has its own noise
    assert np.abs(light - x0).mean() < np.abs(heavy - x0).mean()  # a light touch stays nearer the picture


def test_a_picture_survives_the_8_bit_round_trip(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "p.png")
    array, notes = load_picture(tmp_path / "p.png", 3, (16, 16))
    assert notes == [] and array.shape == (1, 3, 16, 16)
    np.testing.assert_array_equal(to_pixels(array)[0], pixels)


def test_pictures_of_another_size_or_mode_are_converted_with_a_note(tmp_path, small_model):
    _, folder = small_model
    Image.new("RGBA", (40, 24), (200, 30, 30, 255)).save(tmp_path / "wide.png")
    result = CliRunner().invoke(cli, ["edit", "--model", str(folder), "--image", str(tmp_path / "wide.png"),
                                      "--strength", "0.5", "--timesteps", "500,0", "--no-ascii",
                                      "--out", str(tmp_path / "out.png")])
    assert result.exit_code == 0, result.output
    assert "converted from RGBA to RGB" in result.output and "resized from 40x24 to the model's 16x16" in result.output
    assert Image.open(tmp_path / "out.png").size[0] > 16


@pytest.mark.parametrize("args, words", [
    (["--strength", "0"], "outside (0, 1]"),
    (["--strength", "1.5"], "outside (0, 1]"),
    (["--strength", "0.1", "--timesteps", "500,0"], "keeps none of the 2"),
])
def test_bad_edits_get_one_line_and_write_nothing(args, words, tmp_path, small_model):
    _, folder = small_model
    Image.new("RGB", (16, 16)).save(tmp_path / "in.png")
    result = CliRunner().invoke(cli, ["edit", "--model", str(folder), "--image", str(tmp_path / "in.png"), *args,
                                      "--out", str(tmp_path / "out.png")])
    assert isinstance(result.exception, SQLDiffusionError), result.output
    assert words in str(result.exception) and "\n" not in str(result.exception)
    assert not (tmp_path / "out.png").exists()


def test_a_file_that_is_no_picture_gets_one_line(tmp_path):
    (tmp_path / "in.png").write_text("not a picture")
    result = CliRunner().invoke(cli, ["edit", "--image", str(tmp_path / "in.png"), "--out", str(tmp_path / "o.png")])
    assert isinstance(result.exception, SQLDiffusionError)
    assert "not a picture Pillow can read" in str(result.exception) and "\n" not in str(result.exception)
