"""Every scheduler against its diffusers scheduler: the schedule, the plan, each step given the same
model outputs (and noise), and whole loops on a tame random model; then what the stochastic ones
promise; and the command line's sampler options."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import PARAMETRISED, planned, random_sample

from sqldiffusion import SQLDiffusionError, SQLUNet
from sqldiffusion.pipeline import denoise
from sqldiffusion.program import SAMPLE
from sqldiffusion.schedulers import SAMPLERS, SCHEDULERS, NoiseSchedule, make_scheduler, sampler_of_config
from sqldiffusion.schedulers.base import LEVELS
from sqldiffusion.schedulers.schedule import SCHEDULE, schedule_sql

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")

# (our sampler, diffusers' class, the options that make it that algorithm)
DIFFUSERS = {
    "ddim": ("DDIMScheduler", {}),
    "pndm": ("PNDMScheduler", {"skip_prk_steps": True}),
    "dpmpp-2m": ("DPMSolverMultistepScheduler", {}),
    "dpmpp-3m": ("DPMSolverMultistepScheduler", {"solver_order": 3}),
    "dpmpp-2m-sde": ("DPMSolverMultistepScheduler", {"algorithm_type": "sde-dpmsolver++"}),
    "unipc": ("UniPCMultistepScheduler", {}),
    "euler": ("EulerDiscreteScheduler", {}),
    "euler-a": ("EulerAncestralDiscreteScheduler", {}),
    "heun": ("HeunDiscreteScheduler", {}),
    "consistency": ("CMStochasticIterativeScheduler", {}),
}
SIGMA_SAMPLERS = ("euler", "euler-a", "heun")


def theirs(sampler: str, config: dict, karras: bool = False):
    """diffusers' scheduler as `from_config` builds it from a scheduler_config.json holding `config`."""
    name, options = DIFFUSERS[sampler]
    extra = {"use_karras_sigmas": True} if karras else {}
    return getattr(diffusers, name).from_config({**config, **options, **extra})


def ours(sampler: str, config: dict, karras: bool = False):
    return make_scheduler(sampler, config, use_karras_sigmas=karras)


CONFIGS = [{}, {"timestep_spacing": "leading"}, {"timestep_spacing": "trailing"},
           {"timestep_spacing": "leading", "steps_offset": 1}, {"num_train_timesteps": 37},
           {"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012}]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "defaults")
@pytest.mark.parametrize("sampler", SIGMA_SAMPLERS)
@pytest.mark.parametrize("steps", [1, 4, 10, 25])
def test_sigma_plans_equal_diffusers_set_timesteps(sampler, config, steps):
    reference = theirs(sampler, config)
    reference.set_timesteps(steps)
    scheduler = ours(sampler, config)
    scheduler.set_timesteps(steps)
    assert scheduler.timesteps == reference.timesteps.tolist()


@pytest.mark.parametrize("sampler", ["euler", "heun"])
@pytest.mark.parametrize("steps", [2, 6, 10])
def test_karras_sigma_plans_equal_diffusers_set_timesteps(sampler, steps):
    reference = theirs(sampler, {}, karras=True)
    reference.set_timesteps(steps)
    scheduler = ours(sampler, {}, karras=True)
    scheduler.set_timesteps(steps)
    np.testing.assert_allclose(scheduler.timesteps, reference.timesteps.numpy(), rtol=0, atol=2e-3)


@pytest.mark.parametrize("config", CONFIGS[:3], ids=["linspace", "leading", "trailing"])
@pytest.mark.parametrize("karras", [False, True])
def test_sigmas_in_sql_equal_diffusers(engine, config, karras):
    reference = theirs("euler", config, karras)
    reference.set_timesteps(7)
    scheduler = ours("euler", config, karras)
    scheduler.set_timesteps(7)
    scheduler.begin(engine)
    got = [row[0] for row in engine.query(f"SELECT sigma FROM {LEVELS} ORDER BY b")]
    np.testing.assert_allclose(got, reference.sigmas.numpy(), rtol=2e-6, atol=0)


def run_steps(engine, sampler: str, config: dict, steps: int, karras: bool, seed: int):
    """Each pass of a whole plan through both, from the same x and the same model outputs (and
    noise): the largest difference, relative to the sample's size, after every pass."""
    reference = theirs(sampler, config, karras)
    reference.set_timesteps(steps)
    scheduler = ours(sampler, config, karras)
    scheduler.set_timesteps(steps)
    assert scheduler.timesteps == pytest.approx(reference.timesteps.tolist(), abs=2e-3)
    # Heun's second pass restarts from the sample before the first: at a large first sigma
    # (20,000 for squaredcos_cap_v2), float32 loses the difference, so it runs in float64 here
    precise = torch.float64 if sampler == "heun" else torch.float32
    if hasattr(reference, "sigmas"):
        reference.sigmas = reference.sigmas.to(precise)
    sigma_family = sampler in SIGMA_SAMPLERS
    scale = (lambda j: float((reference.sigmas[j] ** 2 + 1) ** 0.5)) if sigma_family else (lambda j: 1.0)  # noqa: E731
    x = random_sample(2, 3, 8, seed=seed)
    errors, largest = [], 1.0
    try:
        scheduler.begin(engine)
        engine.put_image(SAMPLE, x)
        expected = torch.from_numpy(x * scale(0)).to(precise)
        for j, t in enumerate(reference.timesteps):
            eps = random_sample(2, 3, 8, seed=seed + 100 + j)
            generator = torch.Generator().manual_seed(seed + 200 + j)
            noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(seed + 200 + j))
            extra = {"dpmpp-2m-sde": {"variance_noise": noise}, "euler-a": {"generator": generator}}.get(sampler, {})
            largest = max(largest, float(np.abs(expected.numpy()).max()))  # float32 rounds relative to it
            expected = reference.step(torch.from_numpy(eps).to(precise), t, expected, **extra).prev_sample
            engine.put_image("eps", eps)
            z = None
            if scheduler.adds_noise(j):
                engine.put_image("z", noise.numpy())
                z = "z"
            scheduler.step(engine, j, "eps", z, 3)
            got = engine.fetch_image(SAMPLE, x.shape) * scale(j + 1)
            size = max(largest, float(np.abs(expected.numpy()).max()))
            errors.append(float(np.abs(got - expected.numpy()).max()) / size)
    finally:
        engine.drop(SAMPLE, "eps", "z", *scheduler.relations())
    return errors


CASES = [(s, k, n) for s in ("pndm", "dpmpp-3m", "dpmpp-2m-sde", "unipc", "euler", "euler-a", "heun")
         for k in ((False, True) if s not in ("euler-a", "pndm") else (False,)) for n in (1, 2, 3, 8, 20)]


@pytest.mark.parametrize("sampler, karras, steps", CASES)
def test_every_step_equals_diffusers(engine, sampler, karras, steps):
    errors = run_steps(engine, sampler, {}, steps, karras, seed=7)
    assert max(errors) < 2e-6, errors


@pytest.mark.parametrize("sampler", ["euler", "heun", "dpmpp-3m", "unipc", "pndm"])
@pytest.mark.parametrize("config", [{"clip_sample": True}, {"timestep_spacing": "leading", "steps_offset": 1},
                                    {"beta_schedule": "squaredcos_cap_v2"}], ids=["clip", "leading", "cosine"])
def test_steps_follow_the_config_as_from_config_reads_it(sampler, config):
    from sqldiffusion.backends import get_engine

    engine = get_engine("duckdb")
    try:
        assert max(run_steps(engine, sampler, config, 6, False, seed=3)) < 2e-6
    finally:
        engine.close()


def diffusers_loop(model, scheduler, x):
    """As diffusers' pipelines run a scheduler: noise scaled by init_noise_sigma, each model input
    by scale_model_input."""
    sample = torch.from_numpy(x) * scheduler.init_noise_sigma
    with torch.no_grad():
        for t in scheduler.timesteps:
            eps = model(scheduler.scale_model_input(sample, t), t).sample
            sample = scheduler.step(eps, t, sample).prev_sample
    return sample.numpy()


# Steps enough for each loop to reach its highest order (PNDM's four-step history, DPM-Solver++ 3M's
# third order before its lower-order final steps) and no more: each step is compared on its own above.
LOOPS = [("euler", False, 5), ("euler", True, 4), ("heun", False, 4), ("heun", True, 3), ("dpmpp-3m", False, 6),
         ("dpmpp-3m", True, 5), ("unipc", False, 5), ("unipc", True, 4), ("pndm", False, 6)]


def compare_loops(tame_model, engine, sampler, karras, steps):
    model, folder = tame_model
    x = random_sample(2, 3, 16, seed=14)
    reference = theirs(sampler, {}, karras)
    reference.set_timesteps(steps)
    expected = diffusers_loop(model, reference, x)
    scheduler = ours(sampler, {}, karras)
    scheduler.set_timesteps(steps)
    got = denoise(SQLUNet(folder, engine), scheduler, init_noise=x)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("sampler, karras, steps", LOOPS)
def test_whole_loops_match_diffusers(tame_model, sampler, karras, steps):
    compare_loops(tame_model, "duckdb", sampler, karras, steps)


@pytest.mark.slow
@pytest.mark.parametrize("engine", [backend for backend in PARAMETRISED if backend != "duckdb"], indirect=True)
@pytest.mark.parametrize("sampler, karras, steps", [("heun", True, 3), ("unipc", False, 5)])
def test_whole_loops_match_diffusers_on_every_engine(tame_model, engine, sampler, karras, steps):
    """The interface's two ways of stepping (sigma tables and pixelwise, multistep history) on
    each engine but DuckDB, which runs both among the loops above; every step of every scheduler is
    compared on each engine above."""
    compare_loops(tame_model, engine, sampler, karras, steps)


def test_the_demo_config_heun_clips_and_euler_does_not():
    """from_config takes the keys the algorithm shares: the demo's clip_sample reaches Heun (whose
    own default is False) and nothing that has no such option."""
    from sqldiffusion.model import load_model

    config = load_model("demo").scheduler_config
    assert theirs("heun", config).config.clip_sample is True
    assert make_scheduler("heun", config).clip == 1.0
    assert make_scheduler("heun", {}).clip is None


@pytest.mark.parametrize("config, expected", [
    ({"_class_name": "DDPMScheduler"}, ("ddpm", False)),
    ({"_class_name": "DPMSolverMultistepScheduler", "use_karras_sigmas": True}, ("dpmpp-2m", True)),
    ({"_class_name": "DPMSolverMultistepScheduler", "solver_order": 3}, ("dpmpp-3m", False)),
    ({"_class_name": "DPMSolverMultistepScheduler", "algorithm_type": "sde-dpmsolver++"}, ("dpmpp-2m-sde", False)),
    ({"_class_name": "EulerAncestralDiscreteScheduler", "use_karras_sigmas": True}, ("euler-a", False)),
    ({"_class_name": "HeunDiscreteScheduler"}, ("heun", False)),
    ({"_class_name": "LMSDiscreteScheduler"}, ("ddpm", False)),
])
def test_the_pipeline_takes_its_sampler_from_the_config(config, expected):
    assert sampler_of_config(config) == expected


@pytest.mark.parametrize("sampler", ["euler-a", "dpmpp-2m-sde"])
def test_stochastic_samplers_repeat_by_seed_and_keep_each_image_of_a_batch(small_model, sampler):
    _, folder = small_model
    net = SQLUNet(folder)

    def run(batch, seed):  # two steps: the first adds noise
        scheduler = make_scheduler(sampler, None)
        scheduler.set_timesteps(2)
        return denoise(net, scheduler, batch=batch, seed=seed)

    three, again, other, alone = run(3, 5), run(3, 5), run(3, 6), run(1, 5)
    np.testing.assert_array_equal(three, again)
    assert np.abs(three - other).max() > 0.1
    np.testing.assert_allclose(alone[0], three[0], atol=1e-6, rtol=0)
    deterministic = make_scheduler({"euler-a": "euler", "dpmpp-2m-sde": "dpmpp-2m"}[sampler], None)
    deterministic.set_timesteps(2)
    assert np.abs(denoise(net, deterministic, batch=1, seed=5)[0] - alone[0]).max() > 1e-3  # the noise counts


@pytest.mark.parametrize("args, words", [
    (["--sampler", "euler-a", "--karras"], "--karras (use_karras_sigmas) applies to"),
    (["--sampler", "heun", "--no-noise"], "heun adds no noise"),
    (["--sampler", "dpmpp-2m-sde", "--no-noise"], "part of its method"),
    (["--sampler", "euler", "--eta", "0.5"], "eta applies to the ddim sampler, not euler"),
    (["--sampler", "dpmpp-3m", "--karras", "--timesteps", "500,0"], "Karras sigmas set their own timesteps"),
    (["--sampler", "euler", "--timesteps", "500,600"], "not strictly descending"),
])
def test_options_that_do_not_fit_get_one_line_before_any_sql(tmp_path, args, words):
    """The command line's main turns this error into one line on stderr and exit status 2."""
    from sqldiffusion.cli import cli

    result = CliRunner().invoke(cli, ["generate", "--out", str(tmp_path / "x.png"), *args])
    assert isinstance(result.exception, SQLDiffusionError), result.output
    assert words in str(result.exception) and "\n" not in str(result.exception)
    assert "loading" not in result.output and not (tmp_path / "x.png").exists()


def test_every_sampler_is_registered_with_its_diffusers_class():
    for name, cls in SCHEDULERS.items():  # each class named as diffusers names it
        assert name == cls.__name__ and hasattr(diffusers, name), name
    for name, (cls, options) in SAMPLERS.items():  # each short name a class, with options diffusers' class takes
        assert name == "ddpm" or DIFFUSERS[name][0] == cls.__name__
        assert getattr(diffusers, cls.__name__)(**options).config.items() >= options.items(), name
        assert make_scheduler(name).name == name


def test_a_schedule_can_be_given_as_an_object():
    scheduler = make_scheduler("euler", NoiseSchedule(num_train_timesteps=100))
    scheduler.set_timesteps(4)
    assert scheduler.timesteps[0] == 99.0
    with pytest.raises(SQLDiffusionError, match="steps must be from 1"):
        scheduler.set_timesteps(0)


def test_the_page_offers_every_sampler_and_karras_where_it_applies():
    import re
    from importlib.resources import files

    from sqldiffusion.serve.jobs import PAGE_SAMPLERS

    # the page's list is the server's (GET /api/state), made from the schedulers: none is written in the page
    static = files("sqldiffusion.serve") / "static"
    assert not re.findall(r'<option value="([^"]+)"', (static / "index.html").read_text().split('id="sampler"')[1]
                          .split("</select>")[0])
    assert "const KARRAS" not in (static / "app.js").read_text()
    assert list(PAGE_SAMPLERS) == [name for name in SAMPLERS if name != "consistency"]
    for name, entry in PAGE_SAMPLERS.items():
        cls = SAMPLERS[name][0]
        assert ((entry["karras"], entry["eta"], entry["no_noise"])
                == (cls.karras_allowed, name == "ddim", name == "ddpm"))


PREDICTING = ("ddim", "pndm", "dpmpp-2m", "dpmpp-3m", "dpmpp-2m-sde", "unipc", "euler", "euler-a", "heun")


# diffusers' PNDM and ancestral Euler have no x0 mode
@pytest.mark.parametrize("sampler, prediction", [(s, p) for s in PREDICTING for p in ("v_prediction", "sample")
                                                 if p == "v_prediction" or s not in ("euler-a", "pndm")])
def test_every_step_of_a_v_or_x0_model_equals_diffusers(sampler, prediction):
    """The model's output read as v or as the clean sample, as diffusers' schedulers read it."""
    from sqldiffusion.backends import get_engine

    engine = get_engine("duckdb")
    try:
        errors = run_steps(engine, sampler, {"prediction_type": prediction, "clip_sample": False}, 4, False, seed=5)
        assert max(errors) < 2e-6, errors
    finally:
        engine.close()


@pytest.mark.parametrize("sampler, prediction, takes", [("pndm", "sample", "epsilon or v_prediction"),
                                                       ("euler-a", "sample", "epsilon or v_prediction")])
def test_samplers_that_take_fewer_prediction_types_say_so(sampler, prediction, takes):
    with pytest.raises(SQLDiffusionError, match=f"the {sampler} sampler takes models that predict {takes}; "
                                                 f"this one predicts {prediction}"):
        ours(sampler, {"prediction_type": prediction})


def test_a_v_prediction_ddim_loop_equals_diffusers(tame_model, tmp_path):
    """A whole DDIM loop of a v-predicting model (the tame model, read as predicting v)."""
    import json
    import shutil

    from sqldiffusion.pipeline import denoise
    from sqldiffusion.sql_unet import SQLUNet

    model, folder = tame_model
    folder = Path(shutil.copytree(folder, tmp_path / "v"))
    config = {"_class_name": "DDIMScheduler", "prediction_type": "v_prediction", "clip_sample": True}
    (folder / "scheduler_config.json").write_text(json.dumps(config))
    reference = diffusers.DDIMScheduler.from_config(config)
    reference.set_timesteps(10)
    noise = random_sample(2, 3, 16, seed=8)
    x = torch.from_numpy(noise)
    with torch.no_grad():
        for t in reference.timesteps:
            x = reference.step(model(x, t).sample, t, x).prev_sample
    scheduler = ours("ddim", config)
    scheduler.set_timesteps(10)
    got = denoise(SQLUNet(folder), scheduler, init_noise=noise)
    np.testing.assert_allclose(got, x.numpy(), atol=1e-4, rtol=0)


# ---- the DDPM-family and DPM-Solver: the schedule, plans, single steps and whole loops ----------

SCHEDULES = [
    dict(beta_schedule="linear"),
    dict(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012),
    dict(beta_schedule="squaredcos_cap_v2"),
    dict(beta_schedule="linear", num_train_timesteps=37, beta_start=0.001, beta_end=0.05),
]


@pytest.mark.parametrize("config", SCHEDULES,
                         ids=lambda c: f"{c['beta_schedule']}-{c.get('num_train_timesteps', 1000)}")
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
# loops run on every engine in tests/pipeline/test_editing.py (img2img, interpolation).
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
                        (["generate", "--sampler", "dpmpp-2m", "--karras", "--timesteps", "500,0"],
                         "their own timesteps"),
                        (["edit", "--image", str(picture), "--sampler", "dpmpp-2m", "--karras"],
                         "applies to generate")):
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
