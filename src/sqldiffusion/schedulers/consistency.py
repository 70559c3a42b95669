"""Consistency models (diffusers' CMStochasticIterativeScheduler): one UNet pass maps noise straight
to a picture; more passes alternate that map with fresh noise at a lower level.

Its steps are indices into a Karras ramp of `num_train_timesteps` sigmas from sigma_max (index 0)
to sigma_min; the UNet reads the timestep 250 ln(sigma) (fractional, above 1000 at the top) and its
input scaled by c_in = 1 / sqrt(sigma^2 + sigma_data^2). SAMPLE holds that scaled input (base.py:
what the UNet reads), u = x / k with k = sqrt(sigma^2 + sigma_data^2), so one update is

    x0 = clip(c_out * eps + c_skip * k * u),  x_next = x0 + s_noise * sqrt(sigma_hat^2 - sigma_min^2) * z,
    u_next = x_next / k_next  (the picture itself after the last pass),

with diffusers' boundary-condition scalings c_skip = sigma_data^2 / ((sigma - sigma_min)^2 + sigma_data^2),
c_out = (sigma - sigma_min) sigma_data / k, and sigma_hat the next sigma clamped to [sigma_min,
sigma_max]. Written as `Dialect.sampler_step`'s x0 = (u - sb eps) / sa: sa = 1 / (c_skip k),
sb = -c_out / (c_skip k); x_prev = p x0 + sigma z with p = 1 / k_next.
"""

from __future__ import annotations

import numpy as np

from ..literals import number
from ..program import SAMPLE
from .base import COEFFICIENTS, LEVELS, Scheduler, predict_x0, replace_sample
from .sql import sampler_step


class CMStochasticIterativeScheduler(Scheduler):
    default_steps, pipeline_steps = 1, 1  # as ConsistencyModelPipeline: one pass

    # ---- the plan ---------------------------------------------------------------------------
    def spaced_plan(self, steps: int | None) -> list[float]:
        """set_timesteps(steps): indices 0, N // steps, ... descending; one pass by default."""
        steps = self.checked_steps(steps, default=1)
        ratio = self.schedule.num_train_timesteps // steps
        return [int(t) for t in (np.arange(0, steps) * ratio).round()[::-1]]

    def ramp(self) -> list[float]:
        """Each pass's place on the Karras ramp, 0 (sigma_max) to 1 (sigma_min): diffusers reads the
        plan reversed."""
        return [t / (self.schedule.num_train_timesteps - 1) for t in self.planned[::-1]]

    def karras_sigmas(self, ramp: np.ndarray) -> np.ndarray:
        s = self.schedule
        low, high = s.sigma_min ** (1 / s.rho), s.sigma_max ** (1 / s.rho)
        return (high + ramp * (low - high)) ** s.rho

    @property
    def timesteps(self) -> list[float]:
        """The UNet's timestep of each pass, 250 ln(sigma) of the float64 sigma, as diffusers' sigma_to_t."""
        return [float(t) for t in 250.0 * np.log(self.karras_sigmas(np.asarray(self.ramp(), dtype=np.float64)) + 1e-44)]

    # ---- the SQL ----------------------------------------------------------------------------
    def begin(self, engine) -> None:
        engine.create(LEVELS, self.levels_sql(engine.dialect))

    def levels_sql(self, dialect) -> str:
        """(b, sigma): each pass's sigma (float32, as diffusers keeps them), then sigma_min."""
        s, d = self.schedule, dialect.double
        inverse = f"(1::{d} / {dialect.number(s.rho)})"
        low, high = (f"power({dialect.number(s.sigma_min)}::{d}, {inverse})",
                     f"power({dialect.number(s.sigma_max)}::{d}, {inverse})")
        sigma = f"power({high} + r.t * ({low} - {high}), {dialect.number(s.rho)})"
        rows = dialect.timesteps(self.ramp())
        end = dialect.timesteps([s.sigma_min])
        return (f"SELECT r.b, {dialect.cast(dialect.cast(sigma, dialect.real), d)} AS sigma FROM ({rows}) AS r\n"
                f"UNION ALL SELECT e.b + {len(self.planned)} AS b, "
                f"{dialect.cast(dialect.cast('e.t', dialect.real), d)} "
                f"AS sigma FROM ({end}) AS e")

    @staticmethod
    def sigma(b: int) -> str:
        return f"(SELECT sigma FROM {LEVELS} WHERE b = {int(b)})"

    def scale(self, b: int) -> str:
        """k = sqrt(sigma^2 + sigma_data^2) of pass b."""
        return f"sqrt({self.sigma(b)} * {self.sigma(b)} + {number(self.schedule.sigma_data ** 2)})"

    def init_scale_sql(self) -> str | None:
        # diffusers' init_noise_sigma is sigma_max, whatever the first pass's sigma; then c_in
        return f"SELECT {number(self.schedule.sigma_max)} / {self.scale(0)} AS sa"

    def start_sql(self) -> str:
        """A picture noised to the first pass: x0 + sigma z, scaled by c_in."""
        return f"SELECT 1 / {self.scale(0)} AS sa, {self.sigma(0)} / {self.scale(0)} AS sb"

    def adds_noise(self, i: int) -> bool:
        return len(self.planned) > 1  # diffusers draws none for one-step sampling

    def coefficients_sql(self, i: int) -> str:
        s, last = self.schedule, i + 1 == len(self.planned)
        data = s.sigma_data ** 2
        hat = f"least(greatest({self.sigma(i + 1)}, {number(s.sigma_min)}), {number(s.sigma_max)})"
        next_scale = "1.0" if last else self.scale(i + 1)
        return (f"SELECT 1 / (skip * k) AS sa, -c_out / (skip * k) AS sb, 1 / kn AS p, 0.0 AS q, 0.0 AS r,\n"
                f"       {number(s.s_noise)} * sqrt({hat} * {hat} - {number(s.sigma_min ** 2)}) / kn AS sigma\n"
                f"FROM (SELECT {number(data)} "
                f"/ ((sg - {number(s.sigma_min)}) * (sg - {number(s.sigma_min)}) + {number(data)}) AS skip,\n"
                f"             (sg - {number(s.sigma_min)}) * {number(s.sigma_data)} / k AS c_out, k, kn\n"
                f"      FROM (SELECT {self.sigma(i)} AS sg, {self.scale(i)} AS k, {next_scale} AS kn) AS l) AS c")

    def step(self, engine, i, eps, noise, channels, predict=False) -> None:
        clip = 1.0 if self.schedule.clip_denoised else None
        engine.create(COEFFICIENTS, self.coefficients_sql(i))
        if predict:
            predict_x0(engine, eps, channels, f"SELECT sa, sb FROM {COEFFICIENTS}", clip)
        replace_sample(engine, sampler_step(engine.dialect, SAMPLE, eps, noise, COEFFICIENTS, clip, channels))
