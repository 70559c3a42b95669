"""`scheduler_config.json`: the noise schedule a model was trained with, checked field by field when
it is read (the scheduler turns it into plans and SQL: scheduler.py)."""

from __future__ import annotations

from ..errors import SQLDiffusionError
from ..fields import Field, check

BETA_SCHEDULES = ("linear", "scaled_linear", "squaredcos_cap_v2")
VARIANCE_TYPES = ("fixed_small", "fixed_large")
SPACINGS = ("leading", "trailing", "linspace")
MAX_TRAIN_TIMESTEPS = 100_000

# What each field of scheduler_config.json may hold (null: the default).
SCHEDULE_FIELDS = {
    "num_train_timesteps": Field(int, 2, MAX_TRAIN_TIMESTEPS),
    "beta_start": Field(float, 0, 1, low_open=True),
    "beta_end": Field(float, 0, 1, low_open=True),
    "beta_schedule": Field(str, choices=BETA_SCHEDULES),
    "clip_sample": Field(bool),
    "clip_sample_range": Field(float, 0, 1e6, low_open=True),
    "variance_type": Field(str, choices=VARIANCE_TYPES),
    "timestep_spacing": Field(str, choices=SPACINGS),
    "steps_offset": Field(int, 0, MAX_TRAIN_TIMESTEPS),
    "set_alpha_to_one": Field(bool),
    "prediction_type": Field(str, choices=("epsilon", "v_prediction", "sample")),
    # consistency models (CMStochasticIterativeScheduler): Karras sigmas from sigma_max to sigma_min
    "sigma_min": Field(float, 0, 1e4, low_open=True),
    "sigma_max": Field(float, 0, 1e4, low_open=True),
    "sigma_data": Field(float, 0, 1e4, low_open=True),
    "s_noise": Field(float, 0, 10),
    "rho": Field(float, 0, 100, low_open=True),
    "clip_denoised": Field(bool),
}


def checked_schedule_config(config: dict | None) -> dict:
    """The fields of a scheduler config that the schedule reads, each checked (nulls left out), or
    one line naming the first that cannot be."""
    if config is not None and not isinstance(config, dict):
        raise SQLDiffusionError("scheduler config: expected a JSON object of scheduler settings")
    config = dict(config or {})
    if config.get("thresholding"):
        raise SQLDiffusionError("scheduler config: dynamic thresholding is not supported; set thresholding false")
    if config.get("trained_betas") is not None:
        raise SQLDiffusionError("scheduler config: trained_betas is not supported; use a named beta_schedule")
    known = {k: check("scheduler config", k, config[k], spec)
             for k, spec in SCHEDULE_FIELDS.items() if config.get(k) is not None}
    total, offset = known.get("num_train_timesteps", 1000), known.get("steps_offset", 0)
    if known.get("sigma_min", 0.002) >= known.get("sigma_max", 80.0):
        raise SQLDiffusionError("scheduler config: sigma_min must be below sigma_max")
    if offset >= total:
        raise SQLDiffusionError(f"scheduler config: steps_offset {offset} is not below num_train_timesteps {total}")
    return known
