"""Image-to-image in SQL against diffusers: the plan, the noising, and whole runs from a given noise."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import planned, random_sample
from PIL import Image

from sqldiffusion import SQLDiffusionError, SQLUNet
from sqldiffusion.cli import cli
from sqldiffusion.editing import SQLImg2ImgPipeline
from sqldiffusion.pictures import load_picture, to_pixels
from sqldiffusion.pipeline import SAMPLE, start
from sqldiffusion.schedulers import DDPMScheduler, NoiseSchedule
from sqldiffusion.schedulers.editing import strength_plan
from sqldiffusion.schedulers.schedule import SCHEDULE, schedule_sql
from sqldiffusion.schedulers.sql import sampler_step, slerp

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
            strength_plan(planned(steps=steps).planned, strength)
        return
    assert strength_plan(planned(steps=steps).planned, strength) == expected


@pytest.mark.parametrize("t", [0, 250, 999])
def test_noising_a_picture_equals_add_noise(engine, t):
    x0, eps = np.tanh(random_sample(2, 3, 8, seed=1)), random_sample(2, 3, 8, seed=2)
    scheduler = DDPMScheduler()
    scheduler.set_timesteps(timesteps=[t])
    scheduler.begin(engine)
    start(engine, x0.shape, 0, eps, x0, scheduler)
    got = engine.fetch_image(SAMPLE, x0.shape)
    engine.drop(SAMPLE, SCHEDULE)
    expected = diffusers.DDPMScheduler().add_noise(torch.from_numpy(x0), torch.from_numpy(eps), torch.tensor([t]))
    np.testing.assert_allclose(got, expected.numpy(), atol=2e-6, rtol=0)


@pytest.mark.slow
def test_img2img_with_ddim_matches_diffusers_end_to_end(tame_model, engine):
    model, folder = tame_model
    x0, eps = np.tanh(random_sample(2, 3, 16, seed=5)), random_sample(2, 3, 16, seed=6)
    scheduler = diffusers.DDIMScheduler()
    scheduler.set_timesteps(10)  # six passes of the ten steps' plan: the whole loop, at little cost
    timesteps = scheduler.timesteps[10 - int(10 * 0.6):]
    sample = scheduler.add_noise(torch.from_numpy(x0), torch.from_numpy(eps), timesteps[:1])
    with torch.no_grad():
        for t in timesteps:
            sample = scheduler.step(model(sample, t).sample, t, sample).prev_sample
    pipe = SQLImg2ImgPipeline(SQLUNet(folder, engine))
    got = pipe(image=x0, strength=0.6, num_inference_steps=10, sampler="ddim", noise=eps, output_type="latent").images
    np.testing.assert_allclose(got, sample.numpy(), atol=1e-3, rtol=0)


@pytest.mark.slow
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


# ---- inpainting (RePaint) ----------------------------------------------------------------------

@pytest.mark.parametrize("steps, length, count", [(250, 10, 10), (25, 5, 5), (10, 3, 3), (7, 10, 2), (1000, 10, 1)])
def test_the_repaint_plan_is_diffusers(steps, length, count):
    from sqldiffusion.schedulers.editing import repaint_plan

    scheduler = diffusers.RePaintScheduler()
    scheduler.set_timesteps(steps, length, count)
    assert repaint_plan(NoiseSchedule(), steps, length, count) == scheduler.timesteps.tolist()


@pytest.mark.parametrize("t, eta", [(980, 0.0), (500, 0.5), (40, 1.0), (0, 0.0)])
def test_one_repaint_step_equals_diffusers(engine, t, eta, monkeypatch):
    from sqldiffusion.pipeline import NOISE
    from sqldiffusion.schedulers.alphas import coefficients_sql
    from sqldiffusion.schedulers.base import COEFFICIENTS
    from sqldiffusion.schedulers.editing import IMAGE, MASK

    x, eps, noise = random_sample(2, 3, 8, seed=1) * 2, random_sample(2, 3, 8, seed=2), random_sample(2, 3, 8, seed=3)
    picture = np.tanh(random_sample(2, 3, 8, seed=4))
    keep = (random_sample(2, 1, 8, seed=5) > 0).astype(np.float32).repeat(3, axis=1)
    scheduler = diffusers.RePaintScheduler(eta=eta)
    scheduler.set_timesteps(50, 10, 2)
    monkeypatch.setattr("diffusers.schedulers.scheduling_repaint.randn_tensor", lambda *a, **k: torch.from_numpy(noise))
    expected = scheduler.step(torch.from_numpy(eps), t, torch.from_numpy(x), torch.from_numpy(picture),
                              torch.from_numpy(keep)).prev_sample.numpy()
    engine.create(SCHEDULE, schedule_sql(NoiseSchedule(), engine.dialect))
    for name, array in (("sqld_x", x), ("sqld_eps", eps), (NOISE, noise), (IMAGE, picture), (MASK, keep)):
        engine.put_image(name, array)
    engine.create(COEFFICIENTS, coefficients_sql("repaint", NoiseSchedule(), t, t - 20, eta, eta > 0 and t > 0))
    engine.create("sqld_out", sampler_step(engine.dialect, "sqld_x", "sqld_eps", NOISE, COEFFICIENTS, 1.0, 3,
                                                          known=(IMAGE, MASK)))
    got = engine.fetch_image("sqld_out", x.shape)
    engine.drop("sqld_x", "sqld_eps", NOISE, IMAGE, MASK, COEFFICIENTS, SCHEDULE, "sqld_out")
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("t, n", [(0, 4), (100, 20), (960, 40)])
def test_the_undo_step_is_repaints_in_law(engine, t, n):
    """diffusers undoes n steps one beta at a time; the SQL takes them at once: the same mean
    (sqrt of the product of 1 - beta) and the same variance (1 - that product)."""
    from sqldiffusion.schedulers.editing import undo_sql

    engine.create(SCHEDULE, schedule_sql(NoiseSchedule(), engine.dialect))
    (sa, sb), = engine.query(undo_sql(t, n))
    engine.drop(SCHEDULE)
    keep = np.prod(1 - diffusers.RePaintScheduler().betas.numpy().astype(np.float64)[t:t + n])
    assert abs(sa - np.sqrt(keep)) < 1e-6 and abs(sb - np.sqrt(1 - keep)) < 1e-6


def _pictures(tmp_path, size=16):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(tmp_path / "in.png")
    mask = np.zeros((size, size), np.uint8)
    mask[2:9, 3:11] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    return tmp_path / "in.png", tmp_path / "mask.png", mask > 0


@pytest.mark.slow
def test_inpainting_keeps_the_known_pixels_exactly(small_model, engine, tmp_path):
    from sqldiffusion.editing import SQLInpaintPipeline

    _, folder = small_model
    picture, mask, fill = _pictures(tmp_path)
    pipe = SQLInpaintPipeline(SQLUNet(folder, engine))
    # three steps with a jump back: down from 666 to 0, undone up to 666, and down again
    out = pipe(image=picture, mask_image=mask, num_inference_steps=3, jump_length=2, jump_n_sample=2, seed=1,
               batch_size=2, output_type="latent").images
    got, given = to_pixels(out), np.asarray(Image.open(picture))
    for image in got:
        np.testing.assert_array_equal(image[~fill], given[~fill])
        assert np.abs(image[fill].astype(int) - given[fill]).mean() > 5  # the rest was redrawn
    assert np.abs(got[0].astype(int) - got[1]).max() > 0


@pytest.mark.parametrize("change, words", [
    ("small mask", "but the picture 16x16"),
    ("empty mask", "nothing to fill in"),
    ("full mask", "covers the whole picture"),
])
def test_bad_masks_get_one_line_and_write_nothing(change, words, small_model, tmp_path):
    _, folder = small_model
    picture, mask, _ = _pictures(tmp_path)
    if change == "small mask":
        Image.new("L", (8, 8), 255).save(mask)
    else:
        Image.new("L", (16, 16), 0 if change == "empty mask" else 255).save(mask)
    result = CliRunner().invoke(cli, ["inpaint", "--model", str(folder), "--image", str(picture), "--mask", str(mask),
                                      "--steps", "3", "--out", str(tmp_path / "out.png")])
    assert isinstance(result.exception, SQLDiffusionError), result.output
    assert words in str(result.exception) and "\n" not in str(result.exception)
    assert not (tmp_path / "out.png").exists()


# ---- DDIM inversion ----------------------------------------------------------------------------

@pytest.mark.parametrize("spacing", ["leading", "trailing"])
def test_the_inversion_plan_is_diffusers(spacing):
    from sqldiffusion.schedulers.editing import inversion_plan

    scheduler = diffusers.DDIMInverseScheduler(timestep_spacing=spacing)
    scheduler.set_timesteps(20)
    assert inversion_plan(NoiseSchedule(timestep_spacing=spacing), 20) == scheduler.timesteps.tolist()


@pytest.mark.slow
def test_ddim_inversion_matches_diffusers(tame_model, engine):
    from sqldiffusion.editing import inversion_loop
    from sqldiffusion.schedulers import DDIMInverseScheduler

    model, folder = tame_model
    x0 = np.tanh(random_sample(2, 3, 16, seed=8))
    scheduler = diffusers.DDIMInverseScheduler()
    scheduler.set_timesteps(5)
    sample = torch.from_numpy(x0)
    with torch.no_grad():
        for t in scheduler.timesteps:
            sample = scheduler.step(model(sample, t).sample, t, sample).prev_sample
    ours = DDIMInverseScheduler()
    ours.set_timesteps(5)
    got = inversion_loop(SQLUNet(folder, engine), ours, x0)
    np.testing.assert_allclose(got, sample.numpy(), atol=1e-3, rtol=0)


# ---- interpolation -----------------------------------------------------------------------------

def _slerp(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    a64, b64 = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    theta = np.arccos(np.clip(a64 @ b64 / np.linalg.norm(a64) / np.linalg.norm(b64), -1, 1))
    return (np.sin((1 - alpha) * theta) * a + np.sin(alpha * theta) * b) / np.sin(theta)


def test_the_starting_noises_are_interpolated_on_the_sphere(engine):
    a, b = random_sample(1, 3, 8, seed=1), random_sample(1, 3, 8, seed=2)
    engine.put_image("sqld_from", a)
    engine.put_image("sqld_to", b)
    engine.create("sqld_frames", slerp(engine.dialect, "sqld_from", "sqld_to", 5, 3))
    got = engine.fetch_image("sqld_frames", (5, 3, 8, 8))
    engine.drop("sqld_from", "sqld_to", "sqld_frames")
    for f in range(5):
        np.testing.assert_allclose(got[f], _slerp(a, b, f / 4)[0], atol=1e-5, rtol=0)
    np.testing.assert_array_equal(got[0], a[0])  # the ends are the noises themselves
    np.testing.assert_allclose(got[4], b[0], atol=1e-6)


@pytest.mark.slow
def test_interpolated_frames_match_diffusers_ddim_from_each_noise(tame_model, engine):
    from sqldiffusion.editing import interpolation_loop

    model, folder = tame_model
    a, b = random_sample(1, 3, 16, seed=3), random_sample(1, 3, 16, seed=4)
    got = interpolation_loop(SQLUNet(folder, engine), planned("ddim", steps=4), 3, noises=(a, b))
    scheduler = diffusers.DDIMScheduler()
    scheduler.set_timesteps(4)
    sample = torch.from_numpy(np.concatenate([_slerp(a, b, f / 2) for f in range(3)]).astype(np.float32))
    with torch.no_grad():
        for t in scheduler.timesteps:
            sample = scheduler.step(model(sample, t).sample, t, sample).prev_sample
    np.testing.assert_allclose(got, sample.numpy(), atol=1e-3, rtol=0)


@pytest.mark.slow
def test_invert_and_interpolate_commands(small_model, tmp_path):
    _, folder = small_model
    picture, _, _ = _pictures(tmp_path)
    result = CliRunner().invoke(cli, ["invert", "--model", str(folder), "--image", str(picture), "--steps", "4",
                                      "--save-npy", str(tmp_path / "xT.npy"), "--out", str(tmp_path / "again.png")])
    assert result.exit_code == 0, result.output
    assert np.load(tmp_path / "xT.npy").shape == (1, 3, 16, 16)
    assert "mean absolute difference" in result.output and (tmp_path / "again.png").exists()
    result = CliRunner().invoke(cli, ["interpolate", "--model", str(folder), "--images", f"{picture},{picture}",
                                      "--frames", "3", "--steps", "4", "--save-npy", str(tmp_path / "frames.npy"),
                                      "--out", str(tmp_path / "strip.png")])
    assert result.exit_code == 0, result.output
    frames = np.load(tmp_path / "frames.npy")
    assert frames.shape == (3, 3, 16, 16)
    np.testing.assert_allclose(frames[0], frames[2], atol=1e-5)  # between a picture and itself: no change
    result = CliRunner().invoke(cli, ["interpolate", "--model", str(folder), "--seeds", "1,2", "--frames", "3",
                                      "--steps", "4", "--gif", str(tmp_path / "morph.gif"),
                                      "--out", str(tmp_path / "strip.png")])
    assert result.exit_code == 0, result.output
    assert Image.open(tmp_path / "morph.gif").n_frames == 4  # there and back
    assert Image.open(tmp_path / "strip.png").size[0] > 3 * Image.open(tmp_path / "strip.png").size[1]


@pytest.mark.parametrize("args, words", [
    (["--seeds", "3"], "between two seeds"),
    (["--seeds", "a,b"], "expected two whole numbers"),
    (["--images", "one.png"], "between two seeds"),
])
def test_bad_interpolations_get_one_line(args, words, tmp_path):
    result = CliRunner().invoke(cli, ["interpolate", *args, "--out", str(tmp_path / "o.png")])
    assert isinstance(result.exception, SQLDiffusionError), result.output
    assert words in str(result.exception) and not (tmp_path / "o.png").exists()
