"""The schedulers of image editing, on the same interface as the samplers: DDIM inversion
(diffusers' DDIMInverseScheduler) and RePaint (RePaintScheduler). Their first sample is the
caller's (a clean picture; noise beside the picture to keep), put in place by the loop's `begin`."""

from __future__ import annotations

from ..events import Step
from ..program import SAMPLE
from ..scheduler import NoiseSchedule, StepRule, coefficients_sql, inversion_sql, undo_sql
from .base import COEFFICIENTS, Scheduler, replace_sample

IMAGE = "sqld_image"  # the given clean picture
MASK = "sqld_mask"  # 1 where the picture's pixel is kept, 0 where it is filled in


class DDIMInverseScheduler(Scheduler):
    """From a clean picture up the ascending DDIM plan: at each level, a UNet pass and the DDIM
    step run backwards, to the noise x_T that DDIM (eta 0) turns back into about the picture."""
    predictions = ("epsilon",)

    name, diffusers_class = "ddim-inverse", "DDIMInverseScheduler"

    def __init__(self, schedule: NoiseSchedule, timesteps: list[int], gap: int) -> None:
        """`timesteps`: the ascending plan (scheduler.inversion_plan); `gap`: its step."""
        super().__init__(schedule)
        self.planned, self.gap = list(timesteps), int(gap)

    def steps(self) -> list[Step]:
        ts = self.planned
        return [Step(i, len(ts), max(t - self.gap, 0), t) for i, t in enumerate(ts)]

    def step(self, engine, i, eps, noise, channels, predict=False) -> None:
        schedule = self.schedule
        clip = float(schedule.clip_sample_range) if schedule.clip_sample else None
        engine.create(COEFFICIENTS, inversion_sql(schedule, self.planned[i], self.gap))
        replace_sample(engine, engine.dialect.sampler_step(SAMPLE, eps, None, COEFFICIENTS, clip, channels))
        engine.drop(COEFFICIENTS)


class RePaintScheduler(Scheduler):
    """RePaint (Lugmayr et al., CVPR 2022) as RePaintPipeline runs it: each timestep below the one
    before it is a RePaint step (a UNet pass; DDIM's update for the pixels to fill, the picture
    noised to the same level for the known ones, blended by MASK); each one above it an undo step,
    no UNet pass, that noises the sample `gap` timesteps back up. Every step draws noise."""
    predictions = ("epsilon",)

    name, diffusers_class = "repaint", "RePaintScheduler"

    def __init__(self, schedule: NoiseSchedule, timesteps: list[int], gap: int, eta: float = 0.0) -> None:
        """`timesteps`: the plan with its jumps back up (scheduler.repaint_plan); `gap`: its step."""
        super().__init__(schedule)
        self.planned, self.gap, self.eta = list(timesteps), int(gap), float(eta)

    def undoes(self, i: int) -> bool:
        """Whether step i goes back up (no UNet pass)."""
        before = self.planned[i - 1] if i else self.planned[0] + 1
        return self.planned[i] >= before

    @property
    def timesteps(self) -> list[float | None]:
        return [None if self.undoes(i) else t for i, t in enumerate(self.planned)]

    def steps(self) -> list[Step]:
        ts, n = self.planned, len(self.planned)
        return [Step(i, n, ts[i - 1], t) if self.undoes(i) else Step(i, n, t, t - self.gap) for i, t in enumerate(ts)]

    def adds_noise(self, i: int) -> bool:
        return True

    def step(self, engine, i, eps, noise, channels, predict=False) -> None:
        t, schedule = self.planned[i], self.schedule
        if self.undoes(i):
            engine.create(COEFFICIENTS, undo_sql(self.planned[i - 1], self.gap))
            replace_sample(engine, engine.dialect.noised(SAMPLE, noise, COEFFICIENTS, channels))
        else:
            clip = float(schedule.clip_sample_range) if schedule.clip_sample else None
            engine.create(COEFFICIENTS, coefficients_sql(StepRule("repaint", self.eta), schedule, t, t - self.gap))
            replace_sample(engine, engine.dialect.sampler_step(SAMPLE, eps, noise, COEFFICIENTS, clip, channels,
                                                                known=(IMAGE, MASK)))
        engine.drop(COEFFICIENTS)

    def relations(self) -> tuple[str, ...]:
        return (*super().relations(), IMAGE, MASK)
