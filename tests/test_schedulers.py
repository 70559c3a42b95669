"""Every scheduler against its diffusers scheduler: the plan, each step given the same model outputs
(and noise), and whole loops on a tame random model; then what the stochastic ones promise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import PARAMETRISED, random_sample

from sqldiffusion import SQLDiffusionError, SQLUNet
from sqldiffusion.pipeline import denoise
from sqldiffusion.program import SAMPLE
from sqldiffusion.schedulers import SAMPLERS, SCHEDULERS, NoiseSchedule, make_scheduler, sampler_of_config
from sqldiffusion.schedulers.base import LEVELS

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
        assert (entry["karras"], entry["eta"], entry["no_noise"]) == (cls.karras_allowed, name == "ddim", name == "ddpm")


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
