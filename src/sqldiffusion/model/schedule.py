"""`scheduler_config.json`: the noise schedule a model was trained with, checked field by field when
it is read (the schedulers turn it into plans and SQL: schedulers/)."""

from __future__ import annotations

import numpy as np

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


# Fields that choose the sampler a pipeline runs (schedulers.sampler_of_config): only their kind is
# checked (a class or algorithm not offered falls back to DDPM), so that a list or an object in
# them is one line rather than a crash where they are looked up.
CHOICE_FIELDS = {
    "_class_name": Field(str, nullable=True),
    "algorithm_type": Field(str, nullable=True),
    "solver_order": Field(int, 1, 100, nullable=True),
    "use_karras_sigmas": Field(bool, nullable=True),
}


def checked_choices(config: dict | None) -> dict:
    """The fields of CHOICE_FIELDS that a scheduler config gives, each checked (one line if not)."""
    config = config if isinstance(config, dict) else {}
    return {k: check("scheduler config", k, config[k], spec) for k, spec in CHOICE_FIELDS.items() if k in config}


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
    checked_choices(config)
    known = {k: check("scheduler config", k, config[k], spec)
             for k, spec in SCHEDULE_FIELDS.items() if config.get(k) is not None}
    total, offset = known.get("num_train_timesteps", 1000), known.get("steps_offset", 0)
    if known.get("sigma_min", 0.002) >= known.get("sigma_max", 80.0):
        raise SQLDiffusionError("scheduler config: sigma_min must be below sigma_max")
    if offset >= total:
        raise SQLDiffusionError(f"scheduler config: steps_offset {offset} is not below num_train_timesteps {total}")
    check_alphas_cumprod(known)
    return known


def alphas_cumprod(known: dict) -> np.ndarray:
    """The cumulative alphas of a checked config's schedule, as `scheduler.schedule_sql` computes
    them in SQL (each beta and alpha rounded to float32, the product a sum of logarithms in double,
    the result rounded to float32); zero where an alpha is."""
    total = known.get("num_train_timesteps", 1000)
    start, end = known.get("beta_start", 0.0001), known.get("beta_end", 0.02)
    kind = known.get("beta_schedule", "linear")
    if kind == "linear":
        betas = np.linspace(start, end, total).astype(np.float32)
    elif kind == "scaled_linear":
        betas = (np.linspace(start ** 0.5, end ** 0.5, total).astype(np.float32) ** 2).astype(np.float32)
    else:  # squaredcos_cap_v2
        bar = np.cos((np.arange(total + 1) / total + 0.008) / 1.008 * np.pi / 2) ** 2
        betas = np.minimum(1 - bar[1:] / bar[:-1], 0.999).astype(np.float32)
    alphas = (1 - betas).astype(np.float32).astype(np.float64)
    with np.errstate(divide="ignore"):  # log(0) = -inf: a zero product, refused by the caller
        return np.exp(np.cumsum(np.log(np.maximum(alphas, 0)))).astype(np.float32)


def check_alphas_cumprod(known: dict) -> None:
    """The schedule's fields may each be in range and still give no schedule (beta_start = beta_end
    = 1: every alpha 0, every picture NaN): its cumulative alphas must be finite, strictly between
    0 and 1 (every sigma finite and above 0) and never increase."""
    bars = alphas_cumprod(known)
    with np.errstate(divide="ignore", over="ignore"):
        sigmas = np.sqrt((1 - bars.astype(np.float64)) / bars)
    if not (np.isfinite(bars).all() and (bars > 0).all() and (bars < 1).all() and np.isfinite(sigmas).all()
            and (np.diff(bars) <= 0).all()):
        fields = ", ".join(f"{k} {known[k]}" for k in ("beta_schedule", "beta_start", "beta_end", "num_train_timesteps")
                           if k in known)
        raise SQLDiffusionError(f"scheduler config: {fields or 'its defaults'} give a noise schedule whose cumulative "
                                "alphas are not all finite, above 0, below 1 and decreasing; fix the betas")
