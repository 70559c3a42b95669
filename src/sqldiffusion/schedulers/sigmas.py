"""Euler, Euler ancestral and Heun (diffusers' EulerDiscreteScheduler, EulerAncestralDiscreteScheduler
and HeunDiscreteScheduler): steps in sigma, sigma = sqrt((1 - abar) / abar), on the sample
x = x_t * sqrt(sigma^2 + 1) at fractional timesteps (sigmas interpolated between training steps).

SAMPLE holds x_t, what the UNet reads (base.py), so with k = sqrt(sigma^2 + 1) each update is
written for x_t: x = k * x_t, and the next x_t is the next x divided by the next k. The sigma of
each step is in the table LEVELS (b: its index; one row more, sigma 0, for the end).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import SQLDiffusionError
from ..fields import shown
from ..literals import number
from ..program import SAMPLE
from .base import (
    COEFFICIENTS,
    DERIVATIVE,
    EPSILON,
    LEVELS,
    SAVED,
    STEPPED,
    Scheduler,
    as_epsilon,
    predict_x0,
    replace_sample,
)
from .schedule import interpolated_sigmas, karras_plan, karras_sql
from .sql import sampler_step


class SigmaScheduler(Scheduler):
    defaults = {"timestep_spacing": "linspace"}

    def spaced(self, steps: int) -> list[float]:
        """EulerDiscreteScheduler.set_timesteps(steps): float32 timesteps, fractional for linspace."""
        total, spacing = self.schedule.num_train_timesteps, self.spacing
        if spacing == "linspace":
            ts = np.linspace(0, total - 1, steps, dtype=np.float32)[::-1]
        elif spacing == "leading":
            ts = (np.arange(0, steps) * (total // steps)).round()[::-1].astype(np.float32) + self.schedule.steps_offset
        else:  # trailing
            ts = np.arange(total, 0, -total / steps).round().astype(np.float32) - 1
        ts = [float(t) for t in ts]
        if ts[0] >= total:
            raise SQLDiffusionError(f"steps_offset {self.schedule.steps_offset} "
                                    f"puts timestep {ts[0]:g} past {total - 1}")
        return ts

    def spaced_plan(self, steps):
        steps = self.checked_steps(steps)
        if self.karras:
            return karras_plan(self.schedule, steps, ends=self.spaced(steps), rounded=False)
        return self.spaced(steps)

    def custom_plan(self, timesteps: Sequence[float]) -> list[float]:
        """Given timesteps, strictly descending in [0, T - 1]; fractional ones are interpolated."""
        total = self.schedule.num_train_timesteps
        ts = [float(np.float32(t)) for t in timesteps]
        if not ts:
            raise SQLDiffusionError("the timestep list is empty")
        if any(a <= b for a, b in zip(ts, ts[1:])):
            raise SQLDiffusionError(f"timesteps {shown(','.join(f'{t:g}' for t in ts))} are not strictly descending")
        if ts[0] > total - 1 or ts[-1] < 0:
            raise SQLDiffusionError(f"timesteps must lie in [0, {total - 1}] for a model trained with {total} steps")
        return ts

    # ---- the SQL ----------------------------------------------------------------------------
    def begin(self, engine) -> None:
        super().begin(engine)
        engine.create(LEVELS, self.levels_sql(engine.dialect))

    def levels_sql(self, dialect) -> str:
        """(b, t, sigma) of each planned step, then the end (sigma 0), sigmas float32 as diffusers'."""
        d = dialect.double
        end = (f"SELECT {dialect.cast(str(len(self.planned)), 'INTEGER')} AS b, {dialect.cast('0', d)} AS t, "
               f"{dialect.cast('0', d)} AS sigma")
        if self.karras:
            ends = self.spaced(len(self.planned))
            steps = (f"SELECT i AS b, t, sigma FROM ("
                     f"{karras_sql(self.schedule, len(self.planned), dialect, ends=ends, rounded=False)}) AS k")
        else:
            steps = interpolated_sigmas(self.planned, dialect)
        return (f"SELECT b, t, {dialect.cast(dialect.cast('sigma', dialect.real), d)} AS sigma FROM ({steps}) AS s\n"
                f"UNION ALL {end}")

    @staticmethod
    def sigma(b: int) -> str:
        return f"(SELECT sigma FROM {LEVELS} WHERE b = {int(b)})"

    def start_sql(self) -> str:
        s = self.sigma(0)
        return f"SELECT 1 / sqrt({s} * {s} + 1) AS sa, {s} / sqrt({s} * {s} + 1) AS sb"

    def init_scale_sql(self) -> str | None:
        # diffusers' init_noise_sigma: the largest sigma, or sqrt(largest^2 + 1) for leading spacing,
        # which is the first step's, so that x_t is the noise itself
        if self.spacing == "leading":
            return None
        s = self.sigma(0)
        return f"SELECT {s} / sqrt({s} * {s} + 1) AS sa"

    def pass_sigmas(self, b: int) -> str:
        """sigma (s), next sigma (n), and their k (ks, kn) of step b."""
        return (f"SELECT s, n, sqrt(s * s + 1) AS ks, sqrt(n * n + 1) AS kn FROM "
                f"(SELECT {self.sigma(b)} AS s, {self.sigma(b + 1)} AS n) AS l")

    def predict(self, engine, eps: str, channels: int, clip: float | None = None) -> None:
        """PREDICTION: x0 = k x_t - sigma eps, from the coefficients' sa = 1 / k, sb = sigma / k."""
        predict_x0(engine, eps, channels, f"SELECT sa, sb FROM {COEFFICIENTS}", clip)


class EulerDiscreteScheduler(SigmaScheduler):
    """x <- x + eps * (sigma_down - sigma) + sigma_up * z: as x_t, q = k / k_next,
    r = (sigma_down - sigma) / k_next, sigma = sigma_up / k_next. Plain Euler goes down to the next
    sigma and draws no noise."""

    karras_allowed = True

    def down_and_up(self) -> tuple[str, str]:
        """sigma_down and sigma_up in terms of this step's sigma s and the next, n."""
        return "n", "0.0"

    def step(self, engine, i, eps, noise, channels, predict=False) -> None:
        down, up = self.down_and_up()
        engine.create(COEFFICIENTS, f"SELECT 1 / ks AS sa, s / ks AS sb, 0.0 AS p, "
                                    f"ks / kn AS q, ({down} - s) / kn AS r, "
                                    f"{up} / kn AS sigma FROM ({self.pass_sigmas(i)}) AS l")
        eps = as_epsilon(engine, self.schedule, eps, channels)
        if predict:
            self.predict(engine, eps, channels)
        replace_sample(engine, sampler_step(engine.dialect, SAMPLE, eps, noise, COEFFICIENTS, None, channels))
        engine.drop(COEFFICIENTS, *([EPSILON] if eps == EPSILON else []))


class EulerAncestralDiscreteScheduler(EulerDiscreteScheduler):
    """Euler down to sigma_down, then fresh noise of sigma_up: sigma_up^2 = n^2 (s^2 - n^2) / s^2,
    sigma_down^2 = n^2 - sigma_up^2."""

    karras_allowed, deterministic_sibling = False, "euler"
    predictions = ("epsilon", "v_prediction")  # as EulerAncestralDiscreteScheduler

    def adds_noise(self, i: int) -> bool:
        return i < len(self.planned) - 1

    def down_and_up(self) -> tuple[str, str]:
        up = "sqrt(greatest(n * n * (s * s - n * n) / (s * s), 0))"
        return f"sqrt(greatest(n * n - {up} * {up}, 0))", up


class HeunDiscreteScheduler(SigmaScheduler):
    """Two UNet passes per step but the last: an Euler step to the next sigma, then the model again
    there, and the step redone from where it began with the mean of the two derivatives. x0 is
    clipped where the config asks (clip_sample; off unless it says so, as HeunDiscreteScheduler)."""

    karras_allowed, order = True, 2
    defaults = {"timestep_spacing": "linspace", "beta_start": 0.00085, "beta_end": 0.012, "clip_sample": False}

    @property
    def timesteps(self) -> list[float]:
        ts = self.planned
        return [ts[0], *(t for t in ts[1:] for _ in range(2))]

    @property
    def clip(self) -> float | None:
        return float(self.schedule.clip_sample_range) if self.schedule.clip_sample else None

    def step(self, engine, i, eps, noise, channels, predict=False) -> None:
        base, second = (i + 1) // 2, i % 2 == 1
        if second:  # back at the start of step base - 1, with the mean derivative
            self.second_order(engine, base, eps, channels, predict)
        else:
            self.first_order(engine, base, eps, channels, predict)

    def first_order(self, engine, b: int, eps: str, channels: int, predict: bool) -> None:
        engine.create(COEFFICIENTS, f"SELECT 1 / ks AS sa, s / ks AS sb, (s - n) / (s * kn) AS p, "
                                    f"ks * n / (s * kn) AS q, 0.0 AS r, 0.0 AS sigma, -1 / s AS dp, ks / s AS dq "
                                    f"FROM ({self.pass_sigmas(b)}) AS l")
        eps = as_epsilon(engine, self.schedule, eps, channels)
        if predict:
            self.predict(engine, eps, channels, self.clip)
        dialect, clip = engine.dialect, self.clip
        engine.create(STEPPED, sampler_step(dialect, SAMPLE, eps, None, COEFFICIENTS, clip, channels))
        if b + 1 < len(self.planned):  # a second pass follows: keep its derivative and where it began
            engine.create(DERIVATIVE, dialect.pixelwise(
                channels, lambda x, e: f"c.dp * {self.x0(x, e)} + c.dq * {x}", [SAMPLE, eps], COEFFICIENTS))
            engine.drop(SAVED)
            engine.rename(SAMPLE, SAVED)
        engine.drop(COEFFICIENTS, SAMPLE, *([EPSILON] if eps == EPSILON else []))
        engine.rename(STEPPED, SAMPLE)

    def second_order(self, engine, b: int, eps: str, channels: int, predict: bool) -> None:
        # x0 = clip(k_n x_t - n eps); d2 = (k_n x_t - x0) / n; x = k_s saved + (d + d2) / 2 * (n - s)
        engine.create(COEFFICIENTS, f"SELECT 1 / kn AS sa, n / kn AS sb, -(n - s) / (2 * kn * n) AS p, "
                                    f"(n - s) / (2 * n) AS q, ks / kn AS w, (n - s) / (2 * kn) AS v "
                                    f"FROM ({self.pass_sigmas(b - 1)}) AS l")
        eps = as_epsilon(engine, self.schedule, eps, channels)
        if predict:
            self.predict(engine, eps, channels, self.clip)
        formula = lambda x, e, saved, d: f"c.p * {self.x0(x, e)} + c.q * {x} + c.w * {saved} + c.v * {d}"  # noqa: E731
        replace_sample(engine, engine.dialect.pixelwise(channels, formula, [SAMPLE, eps, SAVED, DERIVATIVE],
                                                        COEFFICIENTS))
        engine.drop(COEFFICIENTS, SAVED, DERIVATIVE, *([EPSILON] if eps == EPSILON else []))

    def x0(self, x: str, e: str) -> str:
        x0 = f"({x} - c.sb * {e}) / c.sa"
        if self.clip is None:
            return x0
        return f"greatest({number(-self.clip)}, least({number(self.clip)}, {x0}))"

