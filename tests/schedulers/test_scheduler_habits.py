"""diffusers' scheduler habits on our pipelines: `pipe.scheduler = X.from_config(pipe.scheduler.config)`,
with options, and diffusers' own scheduler objects assigned; each draws what the command line draws
with the same sampler, steps and seed, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from sqldiffusion import (
    DDIMScheduler,
    DDPMScheduler,
    DPMSolverMultistepScheduler,
    SQLDiffusionError,
    SQLDiffusionPipeline,
)
from sqldiffusion.cli import cli
from sqldiffusion.schedulers import SCHEDULERS, as_scheduler

diffusers = pytest.importorskip("diffusers")


def command_line(folder, tmp_path, *options: str) -> np.ndarray:
    out = tmp_path / "cli.npy"
    result = CliRunner().invoke(cli, ["generate", "--model", str(folder), "--seed", "5", "--no-ascii", "--quiet",
                                      "--out", str(tmp_path / "cli.png"), "--save-npy", str(out), *options])
    assert result.exit_code == 0, result.output
    return np.load(out)


HABITS = {
    "ours": (lambda config: DDIMScheduler.from_config(config), ["--sampler", "ddim", "--steps", "4"]),
    "ours-karras": (lambda config: DPMSolverMultistepScheduler.from_config(config, use_karras_sigmas=True),
                    ["--sampler", "dpmpp-2m", "--karras", "--steps", "4"]),
    "diffusers": (lambda config: diffusers.DPMSolverMultistepScheduler.from_config(
        config, algorithm_type="sde-dpmsolver++"), ["--sampler", "dpmpp-2m-sde", "--steps", "4"]),
}


@pytest.mark.parametrize("habit", HABITS)
def test_an_assigned_scheduler_draws_what_the_command_line_draws(tame_model, tmp_path, habit):
    _, folder = tame_model
    make, options = HABITS[habit]
    pipe = SQLDiffusionPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    assert isinstance(pipe.scheduler, DDPMScheduler)  # what the model's scheduler_config.json names
    pipe.scheduler = make(pipe.scheduler.config)
    got = pipe(num_inference_steps=4, seed=5, output_type="latent").images
    np.testing.assert_array_equal(got, command_line(folder, tmp_path, *options))


def test_a_config_names_the_defaults_another_class_takes_its_own_of():
    """As diffusers' `_use_default_values`: DPM-Solver's default spacing (linspace) does not follow it
    into DDIM, whose default is leading; a spacing the model's config gives does."""
    dpm = DPMSolverMultistepScheduler.from_config({"beta_schedule": "linear"})
    assert dpm.schedule.timestep_spacing == "linspace"
    assert DDIMScheduler.from_config(dpm.config).schedule.timestep_spacing == "leading"
    given = DPMSolverMultistepScheduler.from_config({"timestep_spacing": "trailing"})
    assert DDIMScheduler.from_config(given.config).schedule.timestep_spacing == "trailing"
    again = DPMSolverMultistepScheduler.from_config(given.config)
    assert again.config == given.config and again.name == "dpmpp-2m"


@pytest.mark.parametrize("name", [name for name in SCHEDULERS
                                  if name not in ("DDIMInverseScheduler", "RePaintScheduler")])
def test_diffusers_objects_are_read_by_class_name_and_config(name):
    theirs = getattr(diffusers, name).from_config({"beta_schedule": "scaled_linear", "beta_start": 0.00085,
                                                    "beta_end": 0.012, "timestep_spacing": "trailing"})
    ours = as_scheduler(theirs)
    assert type(ours).__name__ == name
    assert (ours.schedule.beta_schedule, ours.schedule.beta_start, ours.schedule.timestep_spacing) == \
        ("scaled_linear", 0.00085, "trailing")


@pytest.mark.parametrize("theirs, words", [
    (lambda: diffusers.DEISMultistepScheduler(), "DEISMultistepScheduler' is not offered"),
    (lambda: diffusers.DPMSolverMultistepScheduler(solver_type="heun"), "solver_type 'heun' is not offered"),
    (lambda: diffusers.EulerDiscreteScheduler(rescale_betas_zero_snr=True),
     "rescale_betas_zero_snr True is not offered"),
    (lambda: diffusers.DPMSolverMultistepScheduler(algorithm_type="sde-dpmsolver++", solver_order=3),
     "solver_order 3 is not offered"),
    (lambda: "ddim", "'str' is not offered"),
])
def test_a_scheduler_we_cannot_run_gets_one_line(theirs, words):
    with pytest.raises(SQLDiffusionError) as e:
        as_scheduler(theirs())
    assert words in str(e.value) and "\n" not in str(e.value)


def test_options_are_checked_where_they_are_given():
    with pytest.raises(SQLDiffusionError, match="eta applies to the ddim sampler, not dpmpp-2m"):
        DPMSolverMultistepScheduler.from_config({}, eta=0.5)
    with pytest.raises(SQLDiffusionError, match="not ddim"):
        DDIMScheduler.from_config({}, use_karras_sigmas=True)
    with pytest.raises(SQLDiffusionError, match="takes no option 'order'"):
        DDIMScheduler(order=2)
