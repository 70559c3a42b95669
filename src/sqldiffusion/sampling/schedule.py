"""The noise schedule a model was trained with, and the timesteps a run visits.

The schedule's numbers (betas, cumulative alphas) are computed by the engine in SQL
(`dialect.schedule`); this module only reads `scheduler_config.json`, checks it, and plans which
integer timesteps to visit, exactly as diffusers' `set_timesteps` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import SQLDiffusionError

BETA_SCHEDULES = ("linear", "scaled_linear", "squaredcos_cap_v2")
VARIANCE_TYPES = ("fixed_small", "fixed_large")
SPACINGS = ("leading", "trailing", "linspace")


@dataclass(frozen=True)
class NoiseSchedule:
    """What diffusers' DDPMScheduler/DDIMScheduler read from `scheduler_config.json` (defaults as theirs)."""

    num_train_timesteps: int = 1000
    beta_start: float = 0.0001
    beta_end: float = 0.02
    beta_schedule: str = "linear"
    clip_sample: bool = True
    clip_sample_range: float = 1.0
    variance_type: str = "fixed_small"
    timestep_spacing: str = "leading"
    steps_offset: int = 0
    set_alpha_to_one: bool = True  # DDIM: the cumulative alpha "before" timestep 0

    @classmethod
    def from_config(cls, config: dict | None) -> "NoiseSchedule":
        config = dict(config or {})
        for key, allowed in (("beta_schedule", BETA_SCHEDULES), ("variance_type", VARIANCE_TYPES),
                             ("timestep_spacing", SPACINGS)):
            if key in config and config[key] is not None and config[key] not in allowed:
                raise SQLDiffusionError(f"scheduler config: {key} {config[key]!r} is not supported "
                                        f"(supported: {', '.join(allowed)})")
        if config.get("prediction_type", "epsilon") != "epsilon":
            raise SQLDiffusionError(f"scheduler config: prediction_type {config['prediction_type']!r} is not "
                                    "supported; only models that predict the noise ('epsilon') are")
        if config.get("thresholding"):
            raise SQLDiffusionError("scheduler config: dynamic thresholding is not supported; set thresholding false")
        if config.get("trained_betas") is not None:
            raise SQLDiffusionError("scheduler config: trained_betas is not supported; use a named beta_schedule")
        known = {k: config[k] for k in cls.__dataclass_fields__ if config.get(k) is not None}
        schedule = cls(**known)
        if schedule.num_train_timesteps < 2:
            raise SQLDiffusionError("scheduler config: num_train_timesteps must be at least 2")
        return schedule


def plan(schedule: NoiseSchedule, steps: int | None = None, timesteps: Sequence[int] | None = None) -> list[int]:
    """The descending timesteps a run visits: every one, a given list, or `steps` spaced as diffusers does."""
    total = schedule.num_train_timesteps
    if timesteps is not None:
        if steps is not None:
            raise SQLDiffusionError("give either a number of steps or a list of timesteps, not both")
        ts = [int(t) for t in timesteps]
        if any(t != float(s) for t, s in zip(ts, timesteps)):
            raise SQLDiffusionError("timesteps must be whole numbers")
        if not ts:
            raise SQLDiffusionError("the timestep list is empty")
        if any(a <= b for a, b in zip(ts, ts[1:])):
            raise SQLDiffusionError(f"timesteps {','.join(map(str, ts))} are not strictly descending")
        if ts[0] >= total or ts[-1] < 0:
            raise SQLDiffusionError(f"timesteps must lie in [0, {total}) for a model trained with {total} steps")
        return ts
    steps = total if steps is None else steps
    if steps < 1:
        raise SQLDiffusionError(f"steps must be at least 1 (got {steps})")
    if steps > total:
        raise SQLDiffusionError(f"{steps} steps is more than the {total} the model was trained with")
    if schedule.timestep_spacing == "linspace":
        ts = np.linspace(0, total - 1, steps).round()[::-1]
    elif schedule.timestep_spacing == "trailing":
        ts = np.round(np.arange(total, 0, -total / steps)) - 1
    else:  # leading
        ts = (np.arange(0, steps) * (total // steps)).round()[::-1] + schedule.steps_offset
    ts = [int(t) for t in ts]
    if ts[0] >= total:  # steps_offset can push the first past the end; diffusers would index out of range
        raise SQLDiffusionError(f"steps_offset {schedule.steps_offset} puts timestep {ts[0]} past {total - 1}")
    return ts


def parse_timesteps(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise SQLDiffusionError(f"--timesteps {text!r}: expected whole numbers separated by commas, "
                                "such as 500,250,125,60,0") from None
