"""The sampler in SQL against diffusers' DDPMScheduler, DDIMScheduler and DPMSolverMultistepScheduler."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import PARAMETRISED, planned, random_sample

from sqldiffusion import SQLUNet
from sqldiffusion.pipeline import denoise
from sqldiffusion.schedulers import make_scheduler
from sqldiffusion.program import SAMPLE
from sqldiffusion.schedulers import NoiseSchedule
from sqldiffusion.schedulers.schedule import SCHEDULE, schedule_sql

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")

SCHEDULES = [
    dict(beta_schedule="linear"),
    dict(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012),
    dict(beta_schedule="squaredcos_cap_v2"),
    dict(beta_schedule="linear", num_train_timesteps=37, beta_start=0.001, beta_end=0.05),
]


@pytest.mark.parametrize("config", SCHEDULES, ids=lambda c: f"{c['beta_schedule']}-{c.get('num_train_timesteps', 1000)}")
def test_schedule_equals_diffusers_bit_for_bit(engine, config):
    engine.create(SCHEDULE, schedule_sql(NoiseSchedule.from_config(config), engine.dialect))
    ours = np.array([r[0] for r in engine.query(f"SELECT alpha_bar FROM {SCHEDULE} ORDER BY t")])
    theirs = diffusers.DDPMScheduler(**config).alphas_cumprod.numpy().astype(np.float64)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("spacing", ["leading", "trailing", "linspace"])
@pytest.mark.parametrize("steps", [1, 4, 20, 333, 1000])
def test_plan_equals_diffusers_set_timesteps(spacing, steps):
    scheduler = diffusers.DDPMScheduler(timestep_spacing=spacing)
    scheduler.set_timesteps(steps)
    assert planned("ddpm", NoiseSchedule(timestep_spacing=spacing), steps).planned == scheduler.timesteps.tolist()


def _one_step(engine, schedule, sampler, options, t, prev, x, eps, noise):
    scheduler = make_scheduler(sampler, schedule, **options)
    scheduler.set_timesteps(timesteps=[t] + ([prev] if prev >= 0 else []))
    scheduler.begin(engine)
    engine.put_image(SAMPLE, x)
    engine.put_image("eps", eps)
    if noise is not None:
        engine.put_image("z", noise)
    scheduler.step(engine, 0, "eps", "z" if noise is not None else None, x.shape[1])
    return engine.fetch_image(SAMPLE, x.shape)


STEPS = [(999, 500), (500, 250), (60, 0), (0, -1), (733, 732)]


@pytest.mark.parametrize("t, prev", STEPS)
@pytest.mark.parametrize("variance_type", ["fixed_small", "fixed_large"])
def test_ddpm_step_equals_diffusers(engine, t, prev, variance_type):
    x, eps = random_sample(2, 3, 8, seed=1) * 2, random_sample(2, 3, 8, seed=2)
    scheduler = diffusers.DDPMScheduler(variance_type=variance_type)
    scheduler.set_timesteps(timesteps=[t] + ([prev] if prev >= 0 else []))
    expected = scheduler.step(torch.from_numpy(eps), t, torch.from_numpy(x),
                              generator=torch.Generator().manual_seed(7)).prev_sample.numpy()
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(7)).numpy()  # what step drew
    got = _one_step(engine, NoiseSchedule(variance_type=variance_type), "ddpm", {}, t, prev, x, eps, noise)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


# DDIM steps from t to t - 1000 // n (diffusers' rule), and from 0 to the final alpha
DDIM_STEPS = [(999, 499, 2), (500, 250, 4), (50, 0, 20), (0, -1, 20), (733, 732, 1000)]


@pytest.mark.parametrize("t, prev, n", DDIM_STEPS)
@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
def test_ddim_step_equals_diffusers(engine, t, prev, n, eta):
    x, eps = random_sample(2, 3, 8, seed=3) * 2, random_sample(2, 3, 8, seed=4)
    noise = random_sample(2, 3, 8, seed=5)
    scheduler = diffusers.DDIMScheduler()
    scheduler.set_timesteps(n)
    expected = scheduler.step(torch.from_numpy(eps), t, torch.from_numpy(x), eta=eta,
                              variance_noise=torch.from_numpy(noise)).prev_sample.numpy()
    got = _one_step(engine, NoiseSchedule(), "ddim", {"eta": eta}, t, prev, x, eps, noise)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


def test_ddpm_step_without_clipping_and_without_noise(engine):
    x, eps = random_sample(1, 3, 8, seed=6), random_sample(1, 3, 8, seed=8)
    scheduler = diffusers.DDPMScheduler(clip_sample=False)
    scheduler.set_timesteps(timesteps=[400, 100])
    mean = scheduler.step(torch.from_numpy(eps), 400, torch.from_numpy(x),
                          generator=torch.Generator().manual_seed(0))
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(0)).numpy()
    sigma = scheduler._get_variance(400) ** 0.5
    expected = mean.prev_sample.numpy() - sigma.item() * noise  # the same step without its noise
    got = _one_step(engine, NoiseSchedule(clip_sample=False), "ddpm", {"add_noise": False}, 400, 100, x, eps, None)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


def _diffusers_loop(model, scheduler, x):
    sample = torch.from_numpy(x)
    with torch.no_grad():
        for t in scheduler.timesteps:
            sample = scheduler.step(model(sample, t).sample, t, sample).prev_sample
    return sample.numpy()


# On DuckDB alone: each engine's DDIM step is test_ddim_step_equals_diffusers there, and whole DDIM
# loops run on every engine in tests/test_editing.py (img2img, interpolation).
@pytest.mark.slow
@pytest.mark.parametrize("engine", ["duckdb"], indirect=True)
def test_twenty_ddim_steps_match_diffusers_end_to_end(tame_model, engine):
    model, folder = tame_model
    net = SQLUNet(folder, engine)
    x = random_sample(2, 3, 16, seed=11)
    scheduler = diffusers.DDIMScheduler()
    scheduler.set_timesteps(20)
    expected = _diffusers_loop(model, scheduler, x)
    got = denoise(net, planned("ddim", steps=20), init_noise=x)
    np.testing.assert_allclose(got, expected, atol=1e-3, rtol=0)


@pytest.mark.slow
def test_ddpm_without_noise_matches_diffusers_end_to_end(tame_model, engine):
    model, folder = tame_model
    net = SQLUNet(folder, engine)
    x = random_sample(2, 3, 16, seed=12)
    scheduler = diffusers.DDPMScheduler()
    scheduler.set_timesteps(timesteps=[500, 250, 125, 60, 0])
    scheduler._get_variance = lambda t, predicted_variance=None, variance_type=None: torch.tensor(0.0)
    expected = _diffusers_loop(model, scheduler, x)
    got = denoise(net, planned("ddpm", timesteps=[500, 250, 125, 60, 0], add_noise=False), init_noise=x)
    np.testing.assert_allclose(got, expected, atol=1e-3, rtol=0)


# ---- DPM-Solver++ 2M: DPMSolverMultistepScheduler(algorithm_type="dpmsolver++", solver_order=2) ----
def _dpm(config: dict):
    """diffusers' DPM-Solver++ 2M as from_config builds it from a scheduler_config.json holding `config`."""
    return diffusers.DPMSolverMultistepScheduler.from_config(config)


@pytest.mark.parametrize("config", [{}, {"timestep_spacing": "leading"}, {"timestep_spacing": "trailing"},
                                    {"timestep_spacing": "leading", "steps_offset": 1}, {"num_train_timesteps": 37}],
                         ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "ddpm-defaults")
@pytest.mark.parametrize("steps", [1, 4, 8, 20, 36])
def test_dpm_plan_equals_diffusers_set_timesteps(config, steps):
    if steps >= config.get("num_train_timesteps", 1000):
        pytest.skip("more steps than the model was trained with")
    scheduler = _dpm(config)
    scheduler.set_timesteps(steps)
    assert planned("dpmpp-2m", config, steps).planned == scheduler.timesteps.tolist()


KARRAS_SCHEDULES = [{}, {"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012}]


@pytest.mark.parametrize("config", KARRAS_SCHEDULES, ids=["linear", "scaled_linear"])
@pytest.mark.parametrize("steps", [1, 2, 5, 6, 8, 25])
def test_karras_plan_equals_diffusers_set_timesteps(config, steps):
    scheduler = _dpm({**config, "use_karras_sigmas": True})
    scheduler.set_timesteps(steps)
    ours = planned("dpmpp-2m", config, steps, karras=True).planned
    assert ours == scheduler.timesteps.tolist()


@pytest.mark.parametrize("steps, karras", [(1, False), (2, False), (8, False), (20, False), (6, True), (20, True)])
def test_dpm_steps_equal_diffusers_one_by_one(engine, steps, karras):
    """Each step of a whole plan, given the same model outputs: the first and last first order, the
    others second order from the step before's x0 (kept in SQL between steps); with Karras sigmas,
    each step's sigma from the plan's sigma table."""
    scheduler = _dpm({"use_karras_sigmas": karras})
    scheduler.set_timesteps(steps)
    ours = planned("dpmpp-2m", steps=steps, karras=karras)
    timesteps = ours.timesteps
    x = random_sample(2, 3, 8, seed=21)
    ours.begin(engine)
    engine.put_image(SAMPLE, x)
    expected = torch.from_numpy(x)
    for i, t in enumerate(timesteps):
        eps = random_sample(2, 3, 8, seed=30 + i)
        expected = scheduler.step(torch.from_numpy(eps), t, expected).prev_sample
        engine.put_image("eps", eps)
        ours.step(engine, i, "eps", None, 3)
        got = engine.fetch_image(SAMPLE, x.shape)
        # x0 = (x - sigma eps) / alpha is ~600 at t = 999 for random eps: float32 is 1e-7 of that
        scale = max(1.0, float(np.abs(expected.numpy()).max()))
        np.testing.assert_allclose(got, expected.numpy(), atol=2e-6 * scale, rtol=0, err_msg=f"step {i}")


# Every plan on DuckDB; the Karras one alone on the other engines: the loop runs each engine's SQL
# of one step, which test_dpm_steps_equal_diffusers_one_by_one compares for each plan on every engine.
@pytest.mark.slow
@pytest.mark.parametrize("steps, karras, engine", [(8, False, "duckdb"), (15, False, "duckdb")]
                         + [(6, True, backend) for backend in PARAMETRISED], indirect=["engine"])
def test_dpm_solver_loop_matches_diffusers_end_to_end(tame_model, engine, steps, karras):
    model, folder = tame_model
    net = SQLUNet(folder, engine)
    x = random_sample(2, 3, 16, seed=13)
    scheduler = _dpm({"use_karras_sigmas": karras})
    scheduler.set_timesteps(steps)
    expected = _diffusers_loop(model, scheduler, x)
    got = denoise(net, planned("dpmpp-2m", steps=steps, karras=karras), init_noise=x)
    # DPM-Solver does not clip x0, and a random model's final x0 reaches a few hundred: float32 there
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-5)


@pytest.mark.slow
def test_the_command_line_runs_dpm_solver_with_its_own_default_steps(tame_model, tmp_path):
    from click.testing import CliRunner

    from sqldiffusion.cli import cli
    from sqldiffusion.schedulers import DPMSolverMultistepScheduler

    DPM_STEPS = DPMSolverMultistepScheduler.default_steps

    _, folder = tame_model
    out = tmp_path / "x0.npy"
    result = CliRunner().invoke(cli, ["generate", "--model", str(folder), "--sampler", "dpmpp-2m", "--seed", "5",
                                      "--no-ascii", "--out", str(tmp_path / "p.png"), "--save-npy", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{DPM_STEPS} steps" in result.output
    expected = denoise(SQLUNet(folder), planned("dpmpp-2m", steps=DPM_STEPS), seed=5)
    np.testing.assert_array_equal(np.load(out), expected)


def test_options_that_do_not_fit_the_sampler_get_one_line(tmp_path):
    from click.testing import CliRunner

    from sqldiffusion import SQLDiffusionError
    from sqldiffusion.cli import cli
    for sampler, options, words in (("dpmpp-2m", (0.5, True), "eta applies to the ddim sampler, not dpmpp-2m"),
                                    ("dpmpp-2m", (0.0, False), "dpmpp-2m adds no noise"),
                                    ("ddpm", (0.0, True, True), "--karras .* not ddpm"),
                                    ("ddim", (0.0, True, True), "--karras .* not ddim")):
        with pytest.raises(SQLDiffusionError, match=words):
            make_scheduler(sampler, None, *options)
    with pytest.raises(SQLDiffusionError, match="Karras sigmas set their own timesteps"):
        planned("dpmpp-2m", timesteps=[500, 0], karras=True)
    picture = tmp_path / "in.png"
    from PIL import Image

    Image.new("RGB", (32, 32)).save(picture)
    for args, words in ((["generate", "--sampler", "ddpm", "--karras"], "not ddpm"),
                        (["generate", "--blog", "--sampler", "ddim"], "--blog means --sampler ddpm"),
                        (["generate", "--blog", "--steps", "8"], "--blog means --sampler ddpm"),
                        (["generate", "--sampler", "dpmpp-2m", "--karras", "--timesteps", "500,0"], "their own timesteps"),
                        (["edit", "--image", str(picture), "--sampler", "dpmpp-2m", "--karras"], "applies to generate")):
        result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "p.png")])
        assert isinstance(result.exception, SQLDiffusionError) and words in str(result.exception), result.output
        assert not (tmp_path / "p.png").exists()


def test_sql_noise_is_standard_normal_and_reproducible(engine):
    shape = (4, 3, 64, 64)  # 12,288 numbers per image: a correlation of 0.05 is 5 standard errors
    draw = lambda seed, stream: (engine.create("z", engine.dialect.gaussian_noise(shape, seed, stream)),  # noqa: E731
                                 engine.fetch_image("z", shape))[1]
    z = draw(5, 0)
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    assert abs(((z - z.mean()) ** 4).mean() / z.var() ** 2 - 3) < 0.15  # Gaussian tails, not uniform (1.8)
    flat = z.reshape(4, -1)
    assert np.abs(np.corrcoef(flat)[np.triu_indices(4, 1)]).max() < 0.05  # images are independent
    assert np.abs(np.corrcoef(z[:, 0].ravel(), z[:, 1].ravel())[0, 1]) < 0.05  # so are channels
    np.testing.assert_array_equal(draw(5, 0), z)
    assert not np.array_equal(draw(6, 0), z) and not np.array_equal(draw(5, 1), z)


@pytest.mark.slow
def test_a_seeded_batch_is_reproducible_and_its_images_differ(small_model):
    _, folder = small_model
    net = SQLUNet(folder)
    scheduler = planned("ddpm", timesteps=[500, 250, 0])
    a = denoise(net, scheduler, batch=2, seed=3)
    b = denoise(net, scheduler, batch=2, seed=3)
    c = denoise(net, scheduler, batch=2, seed=4)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a[0] - a[1]).max() > 0.1 and np.abs(a - c).max() > 0.1
    assert a.min() >= -1 and a.max() <= 1  # the last step returns the clipped x0


@pytest.mark.slow
def test_an_image_of_a_seed_is_the_same_whatever_the_batch_size(small_model, engine):
    """DDPM with noise added at every step: image 0 of a batch of 3 is image 0 made alone."""
    _, folder = small_model
    net = SQLUNet(folder, engine)
    alone = denoise(net, planned("ddpm", timesteps=[500, 250, 0]), batch=1, seed=9)
    three = denoise(net, planned("ddpm", timesteps=[500, 250, 0]), batch=3, seed=9)
    np.testing.assert_array_equal(three[0], alone[0])
    assert np.abs(three[1] - three[0]).max() > 0.1


def test_time_embedding_in_sql_equals_diffusers(small_model):
    from diffusers.models.embeddings import get_timestep_embedding

    _, folder = small_model
    config = json.loads((folder / "config.json").read_text())
    ts = [0, 1, 17, 500, 999]
    expected = get_timestep_embedding(torch.tensor(ts), config["block_out_channels"][0],
                                      flip_sin_to_cos=True, downscale_freq_shift=0).numpy()
    np.testing.assert_allclose(SQLUNet(folder).time_embedding(ts), expected, atol=1e-5)
