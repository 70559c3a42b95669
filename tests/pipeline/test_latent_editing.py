"""Editing in a latent model's space in SQL against diffusers' latent pipelines, rebuilt from their
components (StableDiffusionImg2ImgPipeline and StableDiffusionInpaintPipeline need a text encoder):
vae.encode, the latent distribution's sample with the noise SQL drew, the scaling, scheduler.add_noise,
the scheduler's steps, the inpainting blend, vae.decode. The tiny latent pipeline folder of
test_latent.py; every case on DuckDB, image-to-image once on PostgreSQL (slow)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import random_sample
from test_autoencoders import KL
from test_errors import error_of
from test_latent import LATENT, assert_close, kl  # noqa: F401  (the pipeline folder fixture)

from sqldiffusion import DDIMScheduler, SQLDiffusionError, SQLDiffusionPipeline
from sqldiffusion.cli import cli
from sqldiffusion.editing import SQLImg2ImgPipeline, SQLInpaintPipeline, invert
from sqldiffusion.latent_editing import ENCODE_STREAM, latent_mask
from sqldiffusion.program import NOISE

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")

SIDE = 2 * LATENT  # the pictures' side
SCALE, SHIFT = KL["scaling_factor"], KL["shift_factor"]
PICTURES = np.tanh(random_sample(1, 3, SIDE, seed=11))


def sql_noise(engine, shape, seed: int, stream: int) -> np.ndarray:
    """The noise the engine draws for (seed, stream): what the reference is given."""
    engine.create(NOISE, engine.dialect.gaussian_noise(shape, seed, stream))
    try:
        return engine.fetch_image(NOISE, shape)
    finally:
        engine.drop(NOISE)


def scaled_latents(vae, pictures: np.ndarray, noise: np.ndarray | None) -> torch.Tensor:
    """retrieve_latents(vae.encode(...)): a sample with `noise` (None: the mean), then SD3's
    (z - shift_factor) * scaling_factor."""
    with torch.no_grad():
        dist = vae.encode(torch.from_numpy(pictures)).latent_dist
    z = dist.mean if noise is None else dist.mean + dist.std * torch.from_numpy(noise)
    return (z - SHIFT) * SCALE


def decoded(vae, latents: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return vae.decode(latents / SCALE + SHIFT).sample.numpy()


def theirs(folder, name: str):
    saved = diffusers.DPMSolverMultistepScheduler.from_pretrained(folder / "scheduler")
    return getattr(diffusers, name).from_config(saved.config)


@pytest.mark.parametrize("engine", ["duckdb", "postgres"], indirect=True)
def test_latent_img2img_is_diffusers_img2img(kl, engine):  # noqa: F811
    """StableDiffusionImg2ImgPipeline.prepare_latents and its loop, with DDIM, strength 0.6 of 5
    steps, two copies of one picture (one encoding, duplicated), from the same noises."""
    vae, unet, _, folder, _ = kl
    eps = random_sample(2, 4, LATENT, seed=12)
    pipe = SQLImg2ImgPipeline.from_pretrained(folder, engine=engine)
    pipe.set_progress_bar_config(disable=True)
    got = pipe(image=PICTURES, strength=0.6, num_inference_steps=5, sampler="ddim", noise=eps, seed=9,
               output_type="array").images
    scheduler = theirs(folder, "DDIMScheduler")
    scheduler.set_timesteps(5)
    timesteps = scheduler.timesteps[5 - int(5 * 0.6):]
    latents = scaled_latents(vae, PICTURES, sql_noise(engine, (1, 4, LATENT, LATENT), 9, ENCODE_STREAM))
    latents = scheduler.add_noise(latents.repeat(2, 1, 1, 1), torch.from_numpy(eps), timesteps[:1])
    with torch.no_grad():
        for t in timesteps:
            latents = scheduler.step(unet(latents, t).sample, t, latents).prev_sample
    assert_close(got, decoded(vae, latents))


def test_argmax_encodes_the_mean_and_the_latents_come_back_undecoded(kl):  # noqa: F811
    vae, unet, _, folder, _ = kl
    eps = random_sample(1, 4, LATENT, seed=13)
    pipe = SQLImg2ImgPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    got = pipe(image=PICTURES, strength=0.5, num_inference_steps=4, sampler="euler", noise=eps, seed=1,
               sample_mode="argmax", output_type="latent").images
    scheduler = theirs(folder, "EulerDiscreteScheduler")
    scheduler.set_timesteps(4)
    timesteps = scheduler.timesteps[2:]
    scheduler.set_begin_index(2)
    latents = scheduler.add_noise(scaled_latents(vae, PICTURES, None), torch.from_numpy(eps), timesteps[:1])
    with torch.no_grad():
        for t in timesteps:
            latents = scheduler.step(unet(scheduler.scale_model_input(latents, t), t).sample, t, latents).prev_sample
    assert_close(got, latents.numpy())


@pytest.mark.parametrize("sampler, name", [("ddim", "DDIMScheduler"), ("euler", "EulerDiscreteScheduler")])
def test_latent_inpainting_is_diffusers_inpainting(kl, sampler, name):  # noqa: F811
    """StableDiffusionInpaintPipeline with a 4-channel UNet, strength 1: from noise; after every step
    the kept latents are the picture's, noised by the same noise to the next timestep (at the last,
    as they are); the mask taken to the latents' size by torch's nearest interpolation."""
    vae, unet, _, folder, _ = kl
    noise = random_sample(1, 4, LATENT, seed=14)
    fill = np.zeros((1, 1, SIDE, SIDE), np.float32)
    fill[..., 3:11, 5:14] = 1
    pipe = SQLInpaintPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    got = pipe(image=PICTURES, mask_image=fill[0, 0], num_inference_steps=4, sampler=sampler, noise=noise, seed=2,
               output_type="array").images
    mask = torch.nn.functional.interpolate(torch.from_numpy(fill), size=(LATENT, LATENT))
    np.testing.assert_array_equal(latent_mask(fill, 2, 1), mask.numpy())
    from sqldiffusion.backends import get_engine

    engine = get_engine("duckdb")
    known = scaled_latents(vae, PICTURES, sql_noise(engine, (1, 4, LATENT, LATENT), 2, ENCODE_STREAM))
    engine.close()
    scheduler = theirs(folder, name)
    scheduler.set_timesteps(4)
    if hasattr(scheduler, "set_begin_index"):
        scheduler.set_begin_index(0)
    z = torch.from_numpy(noise)
    latents = z * scheduler.init_noise_sigma
    timesteps = scheduler.timesteps
    with torch.no_grad():
        for i, t in enumerate(timesteps):
            latents = scheduler.step(unet(scheduler.scale_model_input(latents, t), t).sample, t, latents).prev_sample
            proper = known if i == len(timesteps) - 1 else scheduler.add_noise(known, z, timesteps[i + 1:i + 2])
            latents = (1 - mask) * proper + mask * latents
    assert_close(got, decoded(vae, latents))


def test_latent_inversion_is_diffusers_and_redraws_the_picture(kl):  # noqa: F811
    """DDIMInverseScheduler from the picture's latents (the mean), then DDIM back and decoded."""
    vae, unet, _, folder, _ = kl
    pipe = SQLDiffusionPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    pipe.scheduler = DDIMScheduler.from_config({**pipe.scheduler.config, "timestep_spacing": "trailing"})
    x_t = invert(pipe, PICTURES, 4)
    scheduler = diffusers.DDIMInverseScheduler.from_config(pipe.scheduler.config)
    scheduler.set_timesteps(4)
    latents = scaled_latents(vae, PICTURES, None)
    with torch.no_grad():
        for t in scheduler.timesteps:
            latents = scheduler.step(unet(latents, t).sample, t, latents).prev_sample
    assert_close(x_t, latents.numpy())
    again = pipe(init_noise=x_t, num_inference_steps=4, sampler="ddim", output_type="array").images
    forward = diffusers.DDIMScheduler.from_config(pipe.scheduler.config)
    forward.set_timesteps(4)
    latents = torch.from_numpy(x_t)
    with torch.no_grad():
        for t in forward.timesteps:
            latents = forward.step(unet(latents, t).sample, t, latents).prev_sample
    assert_close(again, decoded(vae, latents))


def test_the_edit_command_redraws_in_latent_space(kl, tmp_path):  # noqa: F811
    """edit on a latent model: the picture at the model's picture size, --init-noise the latents'
    noise, --save-npy the decoded array, as the Python pipeline's."""
    from PIL import Image

    _, _, _, folder, _ = kl
    picture = np.random.default_rng(0).integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8)
    Image.fromarray(picture).save(tmp_path / "p.png")
    eps = random_sample(1, 4, LATENT, seed=15)
    np.save(tmp_path / "eps.npy", eps)
    done = CliRunner().invoke(cli, [
        "edit", "--model", str(folder), "--image", str(tmp_path / "p.png"), "--strength", "0.5", "--sampler", "ddim",
        "--steps", "4", "--init-noise", str(tmp_path / "eps.npy"), "--seed", "3", "--no-ascii", "--quiet",
        "--out", str(tmp_path / "o.png"), "--save-npy", str(tmp_path / "o.npy"),
        "--save-latents", str(tmp_path / "z.npy")])
    assert done.exit_code == 0, done.output
    pipe = SQLImg2ImgPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    options = dict(image=str(tmp_path / "p.png"), strength=0.5, num_inference_steps=4, sampler="ddim", noise=eps,
                   seed=3)
    np.testing.assert_array_equal(np.load(tmp_path / "o.npy"), pipe(**options, output_type="array").images)
    np.testing.assert_array_equal(np.load(tmp_path / "z.npy"), pipe(**options, output_type="latent").images)


def test_the_inpaint_and_interpolate_commands_take_a_latent_model(kl, tmp_path):  # noqa: F811
    from PIL import Image

    _, _, _, folder, _ = kl
    picture = np.random.default_rng(1).integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8)
    Image.fromarray(picture).save(tmp_path / "p.png")
    mask = np.zeros((SIDE, SIDE), np.uint8)
    mask[4:12, 4:12] = 255
    Image.fromarray(mask).save(tmp_path / "m.png")
    common = ["--model", str(folder), "--quiet"]
    done = CliRunner().invoke(cli, ["inpaint", *common, "--image", str(tmp_path / "p.png"), "--mask",
                                    str(tmp_path / "m.png"), "--steps", "3", "--no-ascii",
                                    "--out", str(tmp_path / "i.png"), "--save-npy", str(tmp_path / "i.npy")])
    assert done.exit_code == 0, done.output
    assert np.load(tmp_path / "i.npy").shape == (1, 3, SIDE, SIDE)
    # invert: this folder's scheduler spaces its steps linspace, which DDIM inversion refuses (in Python above)
    done = CliRunner().invoke(cli, ["interpolate", *common, "--seeds", "1,2", "--frames", "3", "--steps", "3",
                                    "--out", str(tmp_path / "s.png"), "--save-npy", str(tmp_path / "f.npy")])
    assert done.exit_code == 0, done.output
    assert np.load(tmp_path / "f.npy").shape == (3, 3, SIDE, SIDE)


@pytest.mark.parametrize("call, words", [
    (dict(jump_length=5), "RePaint's jumps are for pixel models"),
    (dict(sampler="heun"), "one UNet pass a step"),
])
def test_what_latent_inpainting_does_not_take_is_one_line(kl, call, words):  # noqa: F811
    _, _, _, folder, _ = kl
    pipe = SQLInpaintPipeline.from_pretrained(folder)
    message = error_of(pipe, PICTURES, np.ones((SIDE, SIDE)) * (np.arange(SIDE) < 4), **call)
    assert words in message and "\n" not in message


def test_a_pixel_model_takes_no_latent_inpainting_options(small_model):
    _, folder = small_model
    pipe = SQLInpaintPipeline.from_pretrained(folder)
    with pytest.raises(SQLDiffusionError, match="RePaint, which takes no sampler"):
        pipe(np.zeros((1, 3, 16, 16), np.float32), np.eye(16), sampler="ddim")


# ---- --height and --width ----------------------------------------------------------------------

def test_height_and_width_of_a_latent_model_are_the_pictures(kl, tmp_path):  # noqa: F811
    """A latent model's pictures at another size: latents of that size over the autoencoder's
    factor, the same as the loop from a latent x_T of that size; the command line as Python."""
    _, _, _, folder, _ = kl
    pipe = SQLDiffusionPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    options = dict(num_inference_steps=2, sampler="ddim", seed=4)
    got = pipe(height=8, width=24, output_type="latent", **options).images
    assert got.shape == (1, 4, 4, 12)
    x_t = pipe.unet.engine  # the same noise, given: SQL's stream 0 of the seed
    x_t.create(NOISE, x_t.dialect.gaussian_noise((1, 4, 4, 12), 4, 0))
    noise = x_t.fetch_image(NOISE, (1, 4, 4, 12))
    x_t.drop(NOISE)
    np.testing.assert_array_equal(got, pipe(init_noise=noise, output_type="latent", **options).images)
    done = CliRunner().invoke(cli, ["generate", "--model", str(folder), "--height", "8", "--width", "24",
                                    "--sampler", "ddim", "--steps", "2", "--seed", "4", "--no-ascii", "--quiet",
                                    "--out", str(tmp_path / "o.png"), "--save-npy", str(tmp_path / "o.npy")])
    assert done.exit_code == 0, done.output
    np.testing.assert_array_equal(np.load(tmp_path / "o.npy"),
                                  pipe(height=8, width=24, output_type="array", **options).images)


@pytest.mark.parametrize("args, words", [
    (["--height", "10"], "give positive multiples of 4 (its UNet halves 1 times, on latents 2 times smaller)"),
    (["--width", "0"], "give positive multiples of 4"),
])
def test_a_size_the_model_cannot_take_is_one_line(kl, tmp_path, args, words):  # noqa: F811
    _, _, _, folder, _ = kl
    done = CliRunner().invoke(cli, ["generate", "--model", str(folder), *args, "--out", str(tmp_path / "o.png")])
    assert isinstance(done.exception, SQLDiffusionError) and words in str(done.exception), done.output
    assert "\n" not in str(done.exception) and not (tmp_path / "o.png").exists()


def test_height_and_width_of_a_pixel_model(small_model, tmp_path):
    """A pixel model's samples at another size, by the command line and Python alike; edit too."""
    _, folder = small_model
    done = CliRunner().invoke(cli, ["generate", "--model", str(folder), "--height", "8", "--width", "24",
                                    "--timesteps", "500,0", "--sampler", "ddim", "--no-ascii", "--quiet",
                                    "--out", str(tmp_path / "o.png"), "--save-npy", str(tmp_path / "o.npy")])
    assert done.exit_code == 0, done.output
    pipe = SQLDiffusionPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    expected = pipe(height=8, width=24, timesteps=[500, 0], sampler="ddim", seed=0, output_type="array").images
    assert expected.shape == (1, 3, 8, 24)
    np.testing.assert_array_equal(np.load(tmp_path / "o.npy"), expected)
    edited = SQLImg2ImgPipeline.from_pretrained(folder)(
        image=_png(tmp_path), strength=0.5, timesteps=[500, 0], height=8, width=24, output_type="array").images
    assert edited.shape == (1, 3, 8, 24)


def _png(tmp_path):
    from PIL import Image

    Image.new("RGB", (40, 30), (200, 30, 30)).save(tmp_path / "red.png")
    return str(tmp_path / "red.png")
