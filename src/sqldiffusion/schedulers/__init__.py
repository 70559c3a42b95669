"""The samplers, one scheduler object per algorithm behind one interface (base.py), each matching
its diffusers scheduler step for step."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import SQLDiffusionError
from ..fields import shown
from ..model.schedule import checked_choices
from ..scheduler import KARRAS_SAMPLERS, SAMPLERS, NoiseSchedule, StepRule, make_rule
from .alphas import DDIMScheduler, DDPMScheduler, PNDMScheduler
from .base import Scheduler
from .consistency import ConsistencyScheduler
from .dpm import DPMSolver2M, DPMSolver2MSDE, DPMSolver3M, UniPCScheduler
from .sigmas import EulerAncestralScheduler, EulerScheduler, HeunScheduler

SCHEDULERS: dict[str, type[Scheduler]] = {cls.name: cls for cls in (
    DDPMScheduler, DDIMScheduler, PNDMScheduler, DPMSolver2M, DPMSolver3M, DPMSolver2MSDE, UniPCScheduler, EulerScheduler,
    EulerAncestralScheduler, HeunScheduler, ConsistencyScheduler)}
assert tuple(SCHEDULERS) == SAMPLERS


def make_scheduler(sampler: str, schedule: NoiseSchedule | dict | None, eta: float = 0.0, add_noise: bool = True,
                   use_karras_sigmas: bool = False) -> Scheduler:
    """The scheduler of a sampler name and its options (checked: one line for any that does not fit),
    on a model's noise schedule (a NoiseSchedule, or the scheduler_config.json dict)."""
    if sampler not in SCHEDULERS:
        raise SQLDiffusionError(f"unknown sampler {shown(sampler)} (available: {', '.join(SCHEDULERS)})")
    rule = make_rule(sampler, eta, add_noise, use_karras_sigmas)
    if not isinstance(schedule, NoiseSchedule):
        schedule = NoiseSchedule.from_config(schedule)
    return of_rule(schedule, rule)


def of_rule(schedule: NoiseSchedule, rule: StepRule) -> Scheduler:
    cls = SCHEDULERS[rule.sampler]
    options = {"add_noise": rule.add_noise} if rule.sampler == "ddpm" else \
        {"eta": rule.eta} if rule.sampler == "ddim" else {}
    return cls(schedule, use_karras_sigmas=rule.karras, **options)


def planned_scheduler(schedule: NoiseSchedule, rule: StepRule, timesteps) -> Scheduler:
    """The scheduler of `rule` running a plan made earlier (`scheduler.plan`): for Karras sigmas,
    made again from its number of steps (the plan comes with its sigmas), else the timesteps given."""
    scheduler = of_rule(schedule, rule)
    if rule.karras:
        scheduler.set_timesteps(len(timesteps))
        if list(scheduler.planned) != list(timesteps):
            raise SQLDiffusionError("a Karras plan runs as it was made: give its number of steps, not a list")
    else:
        scheduler.set_timesteps(timesteps=timesteps)
    return scheduler


def plan(schedule: NoiseSchedule, steps: int | None = None, timesteps: Sequence[float] | None = None,
         sampler: str = "ddpm", karras: bool = False) -> list[float]:
    """The descending timesteps of a run's steps: every training step (ddpm, ddim), `steps` spaced
    as diffusers' scheduler of `sampler` spaces them (with Karras sigmas if `karras`), or a given list."""
    scheduler = make_scheduler(sampler, schedule, use_karras_sigmas=karras)
    scheduler.set_timesteps(steps, timesteps)
    return scheduler.planned


CONFIG_CLASSES = {"DDPMScheduler": "ddpm", "DDIMScheduler": "ddim", "PNDMScheduler": "pndm", "UniPCMultistepScheduler": "unipc",
                  "EulerDiscreteScheduler": "euler",
                  "EulerAncestralDiscreteScheduler": "euler-a", "HeunDiscreteScheduler": "heun",
                  "CMStochasticIterativeScheduler": "consistency"}


def sampler_of_config(config: dict | None) -> tuple[str, bool]:
    """(sampler, use_karras_sigmas) of a scheduler_config.json's `_class_name` and options, as
    diffusers' pipelines take their scheduler from the config; DDPM for a class not offered here.
    A choice of the wrong kind (a list for `_class_name`) is one line (model.schedule.CHOICE_FIELDS)."""
    config = checked_choices(config)
    name = CONFIG_CLASSES.get(config.get("_class_name"), "ddpm")
    if config.get("_class_name") == "DPMSolverMultistepScheduler":
        algorithm, order = config.get("algorithm_type", "dpmsolver++"), config.get("solver_order", 2)
        name = {("dpmsolver++", 2): "dpmpp-2m", ("dpmsolver++", 3): "dpmpp-3m",
                ("sde-dpmsolver++", 2): "dpmpp-2m-sde"}.get((algorithm, order), "ddpm")
    return name, name in KARRAS_SAMPLERS and config.get("use_karras_sigmas") is True


__all__ = ["SCHEDULERS", "Scheduler", "make_scheduler", "plan", "planned_scheduler", "sampler_of_config"]
