"""The plans and schedulers of image editing, on the same interface as the samplers: the part of
a plan image-to-image visits, DDIM inversion (diffusers' DDIMInverseScheduler) and RePaint
(RePaintScheduler). Their first sample is the caller's (a clean picture; noise beside the picture
to keep), put in place by the loop's `begin`."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import SQLDiffusionError
from ..events import Step
from ..fields import shown
from ..program import SAMPLE
from .alphas import coefficients_sql
from .base import COEFFICIENTS, Scheduler, replace_sample
from .schedule import SCHEDULE, NoiseSchedule, spaced_timesteps
from .sql import noised, sampler_step


def strength_plan(visited: list, strength: float) -> list:
    """The part of a plan an image-to-image run visits, as diffusers' img2img pipelines take it:
    of N planned timesteps the last int(N * strength); the picture is noised to the first of them."""
    if not 0 < strength <= 1:
        raise SQLDiffusionError(f"strength {strength} is outside (0, 1]")
    kept = min(int(len(visited) * strength), len(visited))
    if kept == 0:
        raise SQLDiffusionError(f"strength {strength} keeps none of the {len(visited)} planned steps; "
                                "raise the strength or the number of steps")
    return visited[len(visited) - kept:]


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


IMAGE = "sqld_image"  # the given clean picture
MASK = "sqld_mask"  # 1 where the picture's pixel is kept, 0 where it is filled in


class DDIMInverseScheduler(Scheduler):
    """From a clean picture up the ascending DDIM plan: at each level, a UNet pass and the DDIM
    step run backwards, to the noise x_T that DDIM (eta 0) turns back into about the picture."""
    predictions = ("epsilon",)
    pipeline_steps = 50  # as the pipelines' DDIM

    def spaced_plan(self, steps: int | None) -> list[float]:
        return inversion_plan(self.schedule, self.checked_steps(steps, default=self.pipeline_steps))

    def custom_plan(self, timesteps: Sequence[float]) -> list[float]:
        raise SQLDiffusionError("DDIM inversion plans its own timesteps: give a number of steps, not a list")

    @property
    def gap(self) -> int:
        return self.schedule.num_train_timesteps // len(self.planned)

    def steps(self) -> list[Step]:
        ts = self.planned
        return [Step(i, len(ts), max(t - self.gap, 0), t) for i, t in enumerate(ts)]

    def step(self, engine, i, eps, noise, channels, predict=False) -> None:
        schedule = self.schedule
        clip = float(schedule.clip_sample_range) if schedule.clip_sample else None
        engine.create(COEFFICIENTS, inversion_sql(schedule, self.planned[i], self.gap))
        replace_sample(engine, sampler_step(engine.dialect, SAMPLE, eps, None, COEFFICIENTS, clip, channels))
        engine.drop(COEFFICIENTS)


class RePaintScheduler(Scheduler):
    """RePaint (Lugmayr et al., CVPR 2022) as RePaintPipeline runs it: each timestep below the one
    before it is a RePaint step (a UNet pass; DDIM's update for the pixels to fill, the picture
    noised to the same level for the known ones, blended by MASK); each one above it an undo step,
    no UNet pass, that noises the sample `gap` timesteps back up. Every step draws noise."""
    predictions = ("epsilon",)
    kind, options, pipeline_steps = "repaint", ("eta",), 250

    def set_timesteps(self, num_inference_steps: int | None = None, jump_length: int = 10,
                      jump_n_sample: int = 10) -> None:
        """RePaintScheduler.set_timesteps: the plan with its jumps back up (`repaint_plan`)."""
        steps = self.pipeline_steps if num_inference_steps is None else num_inference_steps
        self.planned = repaint_plan(self.schedule, steps, jump_length, jump_n_sample)
        self.gap = self.schedule.num_train_timesteps // min(steps, self.schedule.num_train_timesteps)

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
            replace_sample(engine, noised(engine.dialect, SAMPLE, noise, COEFFICIENTS, channels))
        else:
            clip = float(schedule.clip_sample_range) if schedule.clip_sample else None
            noisy = self.eta > 0 and t > 0
            engine.create(COEFFICIENTS, coefficients_sql("repaint", schedule, t, t - self.gap, self.eta, noisy))
            replace_sample(engine, sampler_step(engine.dialect, SAMPLE, eps, noise, COEFFICIENTS, clip, channels,
                                                                known=(IMAGE, MASK)))
        engine.drop(COEFFICIENTS)

    def relations(self) -> tuple[str, ...]:
        return (*super().relations(), IMAGE, MASK)
