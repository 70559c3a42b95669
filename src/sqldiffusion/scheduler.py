"""The noise schedule a model was trained with, the timesteps a run visits, and the SQL of the
schedule and of the DDPM-family step coefficients (through the engine's dialect); the sampling
algorithms that use them are the scheduler objects of `schedulers/`.

This module reads `scheduler_config.json`, checks it and plans which timesteps to visit exactly as
diffusers' `set_timesteps` does; the engine computes the numbers (betas, cumulative alphas,
Karras sigmas, step coefficients) in SQL, rounded to float32 (`dialect.real`) exactly where
diffusers' float32 tensors round them, so the schedule equals `DDPMScheduler.alphas_cumprod`
(torch accumulates its cumulative product in double on CPU, as the window sum of logarithms does
here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import SQLDiffusionError
from .literals import number
from .model.schedule import checked_schedule_config
from .fields import shown

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
    embedded one, which opens with no options), whatever the run's engine: the plan must be known before the run starts (its progress, preflight and
    outputs), and every engine computes the same sigmas again when its loop begins."""
    from .backends import DEFAULT, get_engine

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


def strength_plan(visited: list[int], strength: float) -> list[int]:
    """The part of a plan an image-to-image run visits, as diffusers' img2img pipelines take it:
    of N planned timesteps the last int(N * strength); the picture is noised to the first of them."""
    if not 0 < strength <= 1:
        raise SQLDiffusionError(f"strength {strength} is outside (0, 1]")
    kept = min(int(len(visited) * strength), len(visited))
    if kept == 0:
        raise SQLDiffusionError(f"strength {strength} keeps none of the {len(visited)} planned steps; "
                                "raise the strength or the number of steps")
    return visited[len(visited) - kept:]


def parse_timesteps(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise SQLDiffusionError(f"--timesteps {shown(text)}: expected whole numbers separated by commas, "
                                f"such as {','.join(map(str, BLOG_TIMESTEPS))}") from None


SCHEDULE = "sqld_schedule"  # (t INTEGER, alpha_bar DOUBLE): cumulative product of alphas, float32-rounded
COEFFICIENTS = "sqld_step"  # one row: the coefficients of the current step


@dataclass(frozen=True)
class StepRule:
    """Which update a step applies: DDPM's posterior or DDIM's, with or without added noise."""

    sampler: str = "ddpm"  # "ddpm", "ddim", or "repaint" (inpainting: DDIM's step, blended with the known pixels)
    eta: float = 0.0  # DDIM and RePaint: 0 deterministic, 1 as noisy as DDPM
    add_noise: bool = True  # DDPM only: False gives the blog's "average butterfly"
    karras: bool = False  # DPM-Solver++: Karras et al.'s sigmas (diffusers' use_karras_sigmas)

    def adds_noise(self, t: int, prev: int) -> bool:
        """Whether the step draws noise (RePaint always does: it noises the known pixels)."""
        if self.sampler == "repaint":
            return True
        if self.sampler == "ddim":
            return self.eta > 0 and prev >= 0
        return self.add_noise and t > 0


# With no sampler option at all (the command line, the web page): the sampler and steps that measure
# best on the demo model within 8 UNet passes, the grain of its backgrounds counted
# (benchmarks/samplers.py, BENCHMARKS.md, docs/samplers.md).
DEFAULT_SAMPLER, DEFAULT_KARRAS, DEFAULT_STEPS = "dpmpp-2m-sde", True, 8
BLOG_TIMESTEPS = (500, 250, 125, 60, 0)  # the blog's schedule, one flag away (--blog)
SAMPLERS = ("ddpm", "ddim", "pndm", "dpmpp-2m", "dpmpp-3m", "dpmpp-2m-sde", "unipc", "euler", "euler-a", "heun",
            "consistency")
KARRAS_SAMPLERS = ("dpmpp-2m", "dpmpp-3m", "dpmpp-2m-sde", "unipc", "euler", "heun")  # diffusers' use_karras_sigmas
STOCHASTIC = {"dpmpp-2m-sde": "dpmpp-2m", "euler-a": "euler"}  # samplers that draw noise at every step


def make_rule(sampler: str, eta: float = 0.0, add_noise: bool = True, karras: bool = False) -> StepRule:
    """A sampler name and its options, checked: one line for an option the sampler does not take."""
    if sampler not in SAMPLERS:
        raise SQLDiffusionError(f"unknown sampler {shown(sampler)} (available: {', '.join(SAMPLERS)})")
    if not 0 <= eta <= 1:
        raise SQLDiffusionError(f"eta {eta} is outside [0, 1]")
    if sampler != "ddim" and eta:
        raise SQLDiffusionError(f"eta applies to the ddim sampler, not {sampler}"
                                + ("; for ddpm use add_noise / --no-noise" if sampler == "ddpm" else ""))
    if sampler == "ddim" and not add_noise:
        raise SQLDiffusionError("--no-noise (add_noise=False) applies to the ddpm sampler; ddim adds noise "
                                "only with eta > 0, and none at the default eta 0")
    if sampler in STOCHASTIC and not add_noise:
        raise SQLDiffusionError(f"--no-noise (add_noise=False) applies to the ddpm sampler; {sampler}'s noise is "
                                f"part of its method (its deterministic sibling: {STOCHASTIC[sampler]})")
    if sampler != "ddpm" and not add_noise:
        raise SQLDiffusionError(f"--no-noise (add_noise=False) applies to the ddpm sampler; {sampler} adds no noise")
    if karras and sampler not in KARRAS_SAMPLERS:
        raise SQLDiffusionError(f"--karras (use_karras_sigmas) applies to {', '.join(KARRAS_SAMPLERS)}, not {sampler}")
    return StepRule(sampler, float(eta), add_noise, bool(karras))


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


def coefficients_sql(rule: StepRule, schedule: NoiseSchedule, t: int, prev: int) -> str:
    """One row: x0 = clip((x - sb * eps) / sa); x_prev = p * x0 + q * x + r * eps + sigma * noise.

    DDPM (diffusers `DDPMScheduler.step`, custom timesteps): the posterior mean between t and prev,
    with sigma^2 the fixed_small (or fixed_large) variance. DDIM (`DDIMScheduler.step`):
    sqrt(abar_prev) * x0 plus the direction to x_t, sigma = eta * its variance. RePaint
    (`RePaintScheduler.step`): DDIM's step for the pixels to fill (sigma only where t > 0), and for the
    known pixels the given picture noised to prev: ka * picture + kb * noise.
    """
    final = "1.0" if rule.sampler in ("ddpm", "repaint") or schedule.set_alpha_to_one else \
        f"(SELECT alpha_bar FROM {SCHEDULE} WHERE t = 0)"
    bars = (f"SELECT (SELECT alpha_bar FROM {SCHEDULE} WHERE t = {int(t)}) AS abar_t,\n"
            f"       COALESCE((SELECT alpha_bar FROM {SCHEDULE} WHERE t = {int(prev)}), {final}) AS abar_p")
    noisy = rule.adds_noise(t, prev)
    if rule.sampler == "ddpm":
        variance = "(1 - abar_p) / (1 - abar_t) * (1 - abar_t / abar_p)" if schedule.variance_type == "fixed_small" else "(1 - abar_t / abar_p)"
        sigma = f"sqrt(greatest({variance}, 1e-20))" if noisy else "0.0"
        coefficients = (f"sqrt(abar_p) * (1 - abar_t / abar_p) / (1 - abar_t) AS p, sqrt(abar_t / abar_p) * (1 - abar_p) / (1 - abar_t) AS q, "
                        f"0.0 AS r, {sigma} AS sigma")
    else:
        std = f"{number(float(rule.eta))} * sqrt((1 - abar_p) / (1 - abar_t) * (1 - abar_t / abar_p))"
        if rule.sampler == "repaint":
            noisy = rule.eta > 0 and t > 0
        coefficients = (f"sqrt(abar_p) AS p, 0.0 AS q, sqrt(greatest(1 - abar_p - power({std}, 2), 0)) AS r, "
                        f"{std if noisy else '0.0'} AS sigma")
        if rule.sampler == "repaint":
            coefficients += ", sqrt(abar_p) AS ka, sqrt(1 - abar_p) AS kb"
    return (f"SELECT sqrt(abar_t) AS sa, sqrt(1 - abar_t) AS sb, {coefficients}\n"
            f"FROM ({bars}) AS a")


def inversion_plan(schedule: NoiseSchedule, steps: int) -> list[int]:
    """DDIMInverseScheduler.set_timesteps: the DDIM plan of `steps`, ascending."""
    if schedule.timestep_spacing not in ("leading", "trailing"):
        raise SQLDiffusionError(f"DDIM inversion needs timestep_spacing leading or trailing, not "
                                f"{schedule.timestep_spacing!r}")
    return spaced_timesteps(schedule, steps)[::-1]


def inversion_sql(schedule: NoiseSchedule, t: int, gap: int) -> str:
    """One row: the coefficients of one DDIM inversion step (DDIMInverseScheduler.step) from level
    t - gap (before 0: alpha_bar 1, or alpha_bar(0) without set_alpha_to_one) up to level t, in
    sampler_step's terms: x0 = clip((x - sb * eps) / sa); x_t = p * x0 + r * eps."""
    first = "1.0" if schedule.set_alpha_to_one else f"(SELECT alpha_bar FROM {SCHEDULE} WHERE t = 0)"
    level = min(int(t) - int(gap), schedule.num_train_timesteps - 1)
    bars = (f"SELECT COALESCE((SELECT alpha_bar FROM {SCHEDULE} WHERE t = {level}), {first}) AS abar_t,\n"
            f"       (SELECT alpha_bar FROM {SCHEDULE} WHERE t = {int(t)}) AS abar_p")
    return (f"SELECT sqrt(abar_t) AS sa, sqrt(1 - abar_t) AS sb, sqrt(abar_p) AS p, 0.0 AS q, "
            f"sqrt(1 - abar_p) AS r, 0.0 AS sigma\nFROM ({bars}) AS a")


# The most UNet passes a RePaint plan may make (diffusers' defaults, 250 steps, jumps of 10 done 10
# times, make 2,410): the plan is a list in memory and each pass a UNet run, so a plan of billions
# is refused by arithmetic before any of it is built.
MAX_REPAINT_PASSES = 100_000


def repaint_passes(schedule: NoiseSchedule, steps: int, jump_length: int, jump_n_sample: int) -> tuple[int, int]:
    """(UNet passes, plan length) of repaint_plan's plan, computed without building it: the steps
    down, plus at each jump point (every `jump_length`-th step but the last stretch's)
    `jump_n_sample - 1` stretches of `jump_length` steps redone, each after as many undo steps up."""
    steps = min(schedule.num_train_timesteps, steps)
    jump_points = len(range(0, steps - jump_length, jump_length))
    redone = jump_points * (jump_n_sample - 1) * jump_length
    return steps + redone, steps + 2 * redone


def repaint_plan(schedule: NoiseSchedule, steps: int, jump_length: int = 10, jump_n_sample: int = 10) -> list[int]:
    """RePaintScheduler.set_timesteps: down from the top in `steps` steps, and at every
    `jump_length`-th step (all but the last stretch) back up `jump_length` steps and down again,
    `jump_n_sample - 1` times. A timestep above the one before it is an undo (re-noising) step.
    A plan of more than MAX_REPAINT_PASSES UNet passes is refused before it is built."""
    if steps < 1:
        raise SQLDiffusionError(f"steps must be at least 1 (got {steps})")
    if jump_length < 1 or jump_n_sample < 1:
        raise SQLDiffusionError("jump length and jump count must be at least 1")
    passes, _ = repaint_passes(schedule, steps, jump_length, jump_n_sample)
    if passes > MAX_REPAINT_PASSES:
        raise SQLDiffusionError(
            f"RePaint with {shown(steps)} steps and jumps of {shown(jump_length)} done {shown(jump_n_sample)} times "
            f"would make {passes:,} UNet passes, more than the {MAX_REPAINT_PASSES:,} a run may make; lower the "
            f"steps, jump length or jump count (--steps, --jump-length, --jump-n-sample): diffusers' 250, 10 and 10 "
            f"make 2,410")
    steps = min(schedule.num_train_timesteps, steps)
    jumps = {j: jump_n_sample - 1 for j in range(0, steps - jump_length, jump_length)}
    visited, t = [], steps
    while t >= 1:
        t -= 1
        visited.append(t)
        if jumps.get(t, 0) > 0:
            jumps[t] -= 1
            for _ in range(jump_length):
                t += 1
                visited.append(t)
    return [t * (schedule.num_train_timesteps // steps) for t in visited]


def undo_sql(t: int, n: int) -> str:
    """One row: the coefficients of RePaint's undo step from t to t + n (`RePaintScheduler.undo_step`:
    n steps x <- sqrt(1 - beta) x + sqrt(beta) z), taken at once: x <- sa * x + sb * z with
    sa^2 = prod(1 - beta) = abar(t + n - 1) / abar(t - 1), the same Gaussian in law."""
    ratio = (f"(SELECT alpha_bar FROM {SCHEDULE} WHERE t = {int(t) + int(n) - 1}) / "
             f"COALESCE((SELECT alpha_bar FROM {SCHEDULE} WHERE t = {int(t) - 1}), 1.0)")
    return f"SELECT sqrt(r) AS sa, sqrt(1 - r) AS sb FROM (SELECT {ratio} AS r) AS a"


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
