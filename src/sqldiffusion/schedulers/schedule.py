"""The noise schedule a model was trained with, and the timesteps a run visits: the SQL of the
schedule (and of Karras sigmas) through the engine's dialect, and the plans diffusers'
`set_timesteps` makes.

`NoiseSchedule` holds what `scheduler_config.json` says of the schedule (checked by
model/schedule.py); the engine computes the numbers (betas, cumulative alphas, Karras sigmas) in
SQL, rounded to float32 (`dialect.real`) exactly where diffusers' float32 tensors round them, so the
schedule equals `DDPMScheduler.alphas_cumprod` (torch accumulates its cumulative product in double
on CPU, as the window sum of logarithms does here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import SQLDiffusionError
from ..fields import shown
from ..literals import number
from ..model.schedule import checked_schedule_config


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
    prediction_type: str = "epsilon"  # what the model's output is: the noise, v, or the clean sample
    # consistency models (CMStochasticIterativeScheduler's fields and defaults)
    sigma_min: float = 0.002
    sigma_max: float = 80.0
    sigma_data: float = 0.5
    s_noise: float = 1.0
    rho: float = 7.0
    clip_denoised: bool = True
    given: frozenset = frozenset()  # the keys the config names (other algorithms' defaults differ)

    @classmethod
    def from_config(cls, config: dict | None) -> "NoiseSchedule":
        known = checked_schedule_config(config)
        return cls(**known, given=frozenset(known))


def spaced_timesteps(schedule: NoiseSchedule, steps: int) -> list[int]:
    """DDPMScheduler/DDIMScheduler.set_timesteps(steps): integer timesteps spaced as the config says."""
    total = schedule.num_train_timesteps
    if steps < 1:
        raise SQLDiffusionError(f"steps must be at least 1 (got {shown(steps)})")
    if steps > total:
        raise SQLDiffusionError(f"{shown(steps)} steps is more than the {total} the model was trained with")
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


def dpm_plan(schedule: NoiseSchedule, steps: int) -> list[int]:
    """DPMSolverMultistepScheduler.set_timesteps(steps): n steps spaced as n + 1 points less the
    last (t = 0 is never visited), on a schedule with its defaults (schedulers.dpm: "linspace"
    unless the config names a spacing)."""
    total = schedule.num_train_timesteps
    if not 1 <= steps <= total:
        raise SQLDiffusionError(f"steps must be from 1 to the {total} the model was trained with (got {shown(steps)})")
    spacing = schedule.timestep_spacing
    if spacing == "linspace":
        ts = np.linspace(0, total - 1, steps + 1).round()[::-1][:-1]
    elif spacing == "leading":
        ts = (np.arange(0, steps + 1) * (total // (steps + 1))).round()[::-1][:-1] + schedule.steps_offset
    else:  # trailing
        ts = np.arange(total, 0, -total / steps).round() - 1
    ts = [int(t) for t in ts]
    if ts[0] >= total or len(set(ts)) < len(ts):
        raise SQLDiffusionError(f"{steps} steps spaced {spacing} do not give distinct timesteps below {total}; "
                                "take fewer steps")
    return ts


SIGMAS = "sqld_sigmas"  # Karras sigmas: (t, sigma) of each planned step


def karras_sql(schedule: NoiseSchedule, steps: int, dialect, ends: Sequence[float] | None = None,
               rounded: bool = True) -> str:
    """SELECT i, t, sigma for `steps` steps: Karras et al.'s sigmas (rho 7) from the largest sigma
    down to the smallest (of the schedule, sigma = sqrt((1 - abar) / abar), or at the timesteps
    `ends`, interpolated), each with the timestep diffusers' `_sigma_to_t` gives it (log sigma
    interpolated between the two training steps around it; rounded where `rounded`)."""
    d, total, last = dialect.double, schedule.num_train_timesteps, max(steps - 1, 1)
    inverse = f"(1::{d} / 7)"  # a double: 1.0 / 7 is a decimal of six digits on some engines (Hyper)
    source = "l" if ends is None else f"({interpolated_sigmas(ends, dialect)}) AS ends"
    t = "(1 - w) * low + w * (low + 1)"
    return (f"WITH l AS (SELECT t, sigma, ln(sigma) AS ls FROM\n"
            f"       (SELECT t, sqrt((1 - alpha_bar) / alpha_bar) AS sigma FROM {SCHEDULE}) AS s),\n"
            f"e AS (SELECT min(sigma) AS lo, max(sigma) AS hi FROM {source}),\n"
            f"k AS (SELECT i, power(power(hi, {inverse}) + (i::{d} / {last}) * (power(lo, {inverse}) - "
            f"power(hi, {inverse})), 7) AS sigma\n"
            f"      FROM e CROSS JOIN {dialect.series(steps, 'i')}),\n"
            f"c AS (SELECT k.i, k.sigma, ln(greatest(k.sigma, 1e-10)) AS lsig,\n"
            f"        least(greatest(sum(CASE WHEN l.ls <= ln(greatest(k.sigma, 1e-10)) THEN 1 ELSE 0 END) - 1, 0), "
            f"{total - 2}) AS low\n"
            f"      FROM k CROSS JOIN l GROUP BY k.i, k.sigma),\n"
            f"w AS (SELECT c.i, c.sigma, c.low, least(greatest((a.ls - c.lsig) / (a.ls - b.ls), 0), 1) AS w\n"
            f"      FROM c JOIN l a ON a.t = c.low JOIN l b ON b.t = c.low + 1)\n"
            f"SELECT i, {dialect.cast(f'round({t})', 'INTEGER') if rounded else dialect.cast(t, d)} AS t, sigma FROM w")


def interpolated_sigmas(timesteps: Sequence[float], dialect) -> str:
    """SELECT b, t, sigma: the schedule's sigma at each (fractional) timestep, linearly interpolated
    between the two training steps around it (np.interp, as diffusers' set_timesteps)."""
    sigmas = f"(SELECT t, sqrt((1 - alpha_bar) / alpha_bar) AS sigma FROM {SCHEDULE})"
    return (f"SELECT p.b, p.t, lo.sigma + (p.t - lo.t) * (COALESCE(hi.sigma, lo.sigma) - lo.sigma) AS sigma\n"
            f"FROM ({dialect.timesteps(timesteps)}) AS p\n"
            f"JOIN {sigmas} AS lo ON lo.t = {dialect.cast('floor(p.t)', 'INTEGER')}\n"
            f"LEFT JOIN {sigmas} AS hi ON hi.t = lo.t + 1")


def karras_plan(schedule: NoiseSchedule, steps: int, ends: Sequence[float] | None = None,
                rounded: bool = True) -> list[float]:
    """The timesteps of `steps` Karras sigmas, as `set_timesteps` with use_karras_sigmas gives them
    (karras_sql; float32 where not `rounded`). Computed in SQL on an engine of its own (the default,
    embedded one, which opens with no options), whatever the run's engine:
    the plan must be known before the run starts (its progress, preflight and
    outputs), and every engine computes the same sigmas again when its loop begins."""
    from ..backends import DEFAULT, get_engine

    total = schedule.num_train_timesteps
    if not 1 <= steps <= total:
        raise SQLDiffusionError(f"steps must be from 1 to the {total} the model was trained with (got {shown(steps)})")
    engine = get_engine(DEFAULT)
    try:
        engine.create(SCHEDULE, schedule_sql(schedule, engine.dialect))
        sql = karras_sql(schedule, steps, engine.dialect, ends, rounded)
        ts = [row[0] for row in engine.query(f"SELECT t FROM ({sql}) AS k ORDER BY i")]
    finally:
        engine.close()
    if not rounded:
        return [float(np.float32(t)) for t in ts]
    if len(set(ts)) < len(ts):
        raise SQLDiffusionError(f"{steps} Karras steps fall on the same timestep twice; take fewer steps")
    return ts


SCHEDULE = "sqld_schedule"  # (t INTEGER, alpha_bar DOUBLE): cumulative product of alphas, float32-rounded
BLOG_TIMESTEPS = (500, 250, 125, 60, 0)  # the blog's schedule: DDPM's and DDIM's plan on the command line


def schedule_sql(schedule: NoiseSchedule, dialect) -> str:
    """SELECT t, alpha_bar for every training timestep."""
    real, double = dialect.real, dialect.double
    total = schedule.num_train_timesteps
    start, end = float(schedule.beta_start), float(schedule.beta_end)
    if schedule.beta_schedule == "linear":
        beta = _linspace(start, end, total, real, double)
    elif schedule.beta_schedule == "scaled_linear":
        root = _linspace(start ** 0.5, end ** 0.5, total, real, double)
        beta = f"({root} * {root})::{real}"
    else:  # squaredcos_cap_v2: beta_i = min(1 - abar((i+1)/T) / abar(i/T), 0.999)
        def abar(i: str) -> str:
            return f"power(cos((({i})::{double} / {total} + 0.008) / 1.008 * pi() / 2), 2)"
        beta = f"least(1 - {abar('s + 1')} / {abar('s')}, 0.999)::{real}"
    alpha = f"(1 - {beta})::{real}"
    return (f"SELECT s::INTEGER AS t, (exp(sum(ln({alpha})) OVER (ORDER BY s))::{real})::{double} AS alpha_bar\n"
            f"FROM {dialect.series(total, 's')}")


def add_noise_sql(t: int) -> str:
    """One row: the coefficients that noise a clean picture to timestep t (DDPMScheduler.add_noise):
    x_t = sa * x0 + sb * eps."""
    return f"SELECT sqrt(alpha_bar) AS sa, sqrt(1 - alpha_bar) AS sb FROM {SCHEDULE} WHERE t = {int(t)}"


def _linspace(start: float, end: float, n: int, real: str, double: str) -> str:
    """Entry s of torch.linspace(start, end, n) in float32, rounded as torch rounds it: the first half
    counts up from start, the second half down from end, each in one fused multiply-add."""
    lo, hi = f"{number(start)}::{real}", f"{number(end)}::{real}"
    step = f"(({hi} - {lo})::{real} / {n - 1})::{real}"
    return (f"(CASE WHEN s < {n // 2} THEN {lo}::{double} + {step}::{double} * s "
            f"ELSE {hi}::{double} - {step}::{double} * ({n - 1} - s) END)::{real}")
