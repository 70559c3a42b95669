"""DDPM and DDIM: steps between integer timesteps of the cumulative-alpha schedule (diffusers'
DDPMScheduler and DDIMScheduler), each one statement over x_t, the predicted noise and, when the
step draws it, noise (`Dialect.sampler_step`, coefficients from `scheduler.coefficients_sql`)."""

from __future__ import annotations

from ..errors import SQLDiffusionError
from ..program import SAMPLE
from ..scheduler import NoiseSchedule, StepRule, add_noise_sql, coefficients_sql, prediction_sql, spaced_timesteps
from .base import COEFFICIENTS, PREDICTING, PREDICTION, Scheduler, replace_sample


class AlphaScheduler(Scheduler):
    """What DDPM and DDIM share: the plan, the start, and the statement of a step."""

    def spaced_plan(self, steps: int | None) -> list[float]:
        return spaced_timesteps(self.schedule, steps)

    def rule(self) -> StepRule:
        raise NotImplementedError

    def prev(self, i: int) -> int:
        return self.planned[i + 1] if i + 1 < len(self.planned) else -1

    def start_sql(self) -> str:
        return add_noise_sql(self.planned[0])

    def adds_noise(self, i: int) -> bool:
        return self.rule().adds_noise(self.planned[i], self.prev(i))

    def step(self, engine, i, eps, noise, channels, predict=False) -> None:
        schedule = self.schedule
        engine.create(COEFFICIENTS, coefficients_sql(self.rule(), schedule, self.planned[i], self.prev(i)))
        clip = float(schedule.clip_sample_range) if schedule.clip_sample else None
        if predict:
            engine.create(PREDICTING, prediction_sql())
            engine.create(PREDICTION, engine.dialect.sampler_step(SAMPLE, eps, None, PREDICTING, clip, channels))
            engine.drop(PREDICTING)
        replace_sample(engine, engine.dialect.sampler_step(SAMPLE, eps, noise, COEFFICIENTS, clip, channels))
        engine.drop(COEFFICIENTS)


class DDPMScheduler(AlphaScheduler):
    """DDPM's posterior step (diffusers' DDPMScheduler); `add_noise=False` gives the blog's
    "average butterfly"."""

    name, diffusers_class = "ddpm", "DDPMScheduler"

    def __init__(self, schedule: NoiseSchedule, use_karras_sigmas: bool = False, add_noise: bool = True) -> None:
        super().__init__(schedule, use_karras_sigmas)
        self.add_noise = bool(add_noise)

    def spaced_plan(self, steps):
        # diffusers' DDPMPipeline default: every training step
        return spaced_timesteps(self.schedule, self.schedule.num_train_timesteps if steps is None else steps)

    def rule(self) -> StepRule:
        return StepRule("ddpm", add_noise=self.add_noise)

    def describe(self) -> str:
        return "ddpm" + ("" if self.add_noise else " without noise")


class DDIMScheduler(AlphaScheduler):
    """DDIM (diffusers' DDIMScheduler): deterministic at eta 0, as noisy as DDPM at eta 1."""

    name, diffusers_class = "ddim", "DDIMScheduler"

    def __init__(self, schedule: NoiseSchedule, use_karras_sigmas: bool = False, eta: float = 0.0) -> None:
        super().__init__(schedule, use_karras_sigmas)
        if not 0 <= eta <= 1:
            raise SQLDiffusionError(f"eta {eta} is outside [0, 1]")
        self.eta = float(eta)

    def spaced_plan(self, steps):
        return spaced_timesteps(self.schedule, self.schedule.num_train_timesteps if steps is None else steps)

    def rule(self) -> StepRule:
        return StepRule("ddim", eta=self.eta)

    def describe(self) -> str:
        return f"ddim, eta {self.eta:g}"
