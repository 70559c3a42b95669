"""The samplers: one scheduler class per diffusers scheduler, named as diffusers names it, on one
interface (base.py), each matching its diffusers scheduler step for step.

>>> pipe.scheduler = DDIMScheduler.from_config(pipe.scheduler.config)
>>> pipe.scheduler = DPMSolverMultistepScheduler.from_config(pipe.scheduler.config, use_karras_sigmas=True)

`SCHEDULERS` registers the classes by diffusers' class name (what `_class_name` in a
scheduler_config.json says); `SAMPLERS` gives the command line's short names, each a class and the
options that make it that sampler. A new sampler is one class in a module here, and one line in
each table.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import SQLDiffusionError
from ..fields import shown
from ..model.schedule import checked_choices
from .alphas import DDIMScheduler, DDPMScheduler, PNDMScheduler
from .base import Scheduler
from .consistency import CMStochasticIterativeScheduler
from .dpm import DPMSolverMultistepScheduler, UniPCMultistepScheduler
from .editing import DDIMInverseScheduler, RePaintScheduler
from .schedule import NoiseSchedule
from .sigmas import EulerAncestralDiscreteScheduler, EulerDiscreteScheduler, HeunDiscreteScheduler

SCHEDULERS: dict[str, type[Scheduler]] = {cls.__name__: cls for cls in (
    DDPMScheduler, DDIMScheduler, PNDMScheduler, DPMSolverMultistepScheduler, UniPCMultistepScheduler,
    EulerDiscreteScheduler, EulerAncestralDiscreteScheduler, HeunDiscreteScheduler, CMStochasticIterativeScheduler,
    DDIMInverseScheduler, RePaintScheduler)}

# The command line's samplers: each name is a class with the options that make it that sampler.
SAMPLERS: dict[str, tuple[type[Scheduler], dict]] = {
    "ddpm": (DDPMScheduler, {}),
    "ddim": (DDIMScheduler, {}),
    "pndm": (PNDMScheduler, {}),
    "dpmpp-2m": (DPMSolverMultistepScheduler, {"solver_order": 2, "algorithm_type": "dpmsolver++"}),
    "dpmpp-3m": (DPMSolverMultistepScheduler, {"solver_order": 3, "algorithm_type": "dpmsolver++"}),
    "dpmpp-2m-sde": (DPMSolverMultistepScheduler, {"solver_order": 2, "algorithm_type": "sde-dpmsolver++"}),
    "unipc": (UniPCMultistepScheduler, {}),
    "euler": (EulerDiscreteScheduler, {}),
    "euler-a": (EulerAncestralDiscreteScheduler, {}),
    "heun": (HeunDiscreteScheduler, {}),
    "consistency": (CMStochasticIterativeScheduler, {}),
}
EDITING_NAMES = {DDIMInverseScheduler: "ddim-inverse", RePaintScheduler: "repaint"}  # not offered as samplers


def short_name(scheduler: Scheduler) -> str:
    """The command line's name of a scheduler (its class and options in SAMPLERS)."""
    for name, (cls, options) in SAMPLERS.items():
        if type(scheduler) is cls and all(getattr(scheduler, k, None) == v for k, v in options.items()):
            return name
    return EDITING_NAMES.get(type(scheduler), type(scheduler).__name__)


def make_scheduler(sampler: str, config=None, eta: float = 0.0, add_noise: bool = True,
                   use_karras_sigmas: bool = False) -> Scheduler:
    """The scheduler of a sampler's short name and its options (checked: one line for any that does
    not fit), on the schedule of `config` (a scheduler_config.json dict, a scheduler's `.config`, or a
    NoiseSchedule)."""
    if not isinstance(sampler, str) or sampler not in SAMPLERS:
        raise SQLDiffusionError(f"unknown sampler {shown(sampler)} (available: {', '.join(SAMPLERS)})")
    cls, options = SAMPLERS[sampler]
    chosen = dict(options, eta=eta, add_noise=add_noise, use_karras_sigmas=use_karras_sigmas)
    if isinstance(config, NoiseSchedule):
        return cls(config, **chosen)
    return cls.from_config(config, **chosen)


def sampler_of_config(config) -> tuple[str, bool]:
    """(sampler, use_karras_sigmas) of a scheduler_config.json's `_class_name` and options, as
    diffusers' pipelines take their scheduler from the config; DDPM for a class or algorithm not
    offered here. A choice of the wrong kind (a list for `_class_name`) is one line
    (model.schedule.CHOICE_FIELDS)."""
    config = checked_choices(config)
    cls = SCHEDULERS.get(config.get("_class_name"))
    for name, (offered, options) in SAMPLERS.items():
        if offered is cls and all(config.get(k, cls.algorithm[k]) == v for k, v in options.items()):
            return name, cls.karras_allowed and config.get("use_karras_sigmas") is True
    return "ddpm", False


def scheduler_from_config(config) -> Scheduler:
    """The scheduler a diffusers pipeline takes from a model's scheduler_config.json."""
    sampler, karras = sampler_of_config(config)
    return make_scheduler(sampler, config, use_karras_sigmas=karras)


def as_scheduler(scheduler) -> Scheduler:
    """Ours as it is; a diffusers scheduler object read by its class name and `.config` (without
    importing diffusers); one line for anything else."""
    if isinstance(scheduler, Scheduler):
        return scheduler
    name, config = type(scheduler).__name__, getattr(scheduler, "config", None)
    if name not in SCHEDULERS or not isinstance(config, Mapping):
        raise SQLDiffusionError(f"a scheduler of class {shown(name)} is not offered; use one of "
                                f"{', '.join(SCHEDULERS)} (from sqldiffusion, or diffusers' of the same name)")
    return SCHEDULERS[name].from_config(config)


__all__ = ["SAMPLERS", "SCHEDULERS", "NoiseSchedule", "Scheduler", "as_scheduler", "make_scheduler",
           "sampler_of_config", "scheduler_from_config", *SCHEDULERS]
