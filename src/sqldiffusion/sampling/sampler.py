"""The denoising loop: noise, UNet passes and sampler steps, all as SQL in one engine.

Python only orders the statements: it makes x_T (SQL Gaussian noise, or an uploaded tensor), then for
each planned timestep runs the UNet program on the current sample, computes the step's coefficients
from the schedule table, draws the step's noise and replaces the sample with x_prev. The sample
never leaves the engine unless a caller asks to see it (progress pictures, the final result).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import SQLDiffusionError
from ..sql.render import SAMPLE, TIMESTEPS
from ..sql.sampler import COEFFICIENTS, SCHEDULE, StepRule, coefficients_sql, schedule_sql
from .schedule import NoiseSchedule

NOISE = "sqld_noise"
NEXT = "sqld_next"


@dataclass(frozen=True)
class Step:
    index: int  # 0-based position in the plan
    total: int  # steps in the plan
    timestep: int
    prev: int  # the timestep it steps to (-1 after the last)


def image_size(config) -> tuple[int, int]:
    size = config.sample_size
    if isinstance(size, (list, tuple)):
        return int(size[0]), int(size[1])
    return int(size), int(size)


def denoise(net, timesteps: list[int], rule: StepRule, batch: int = 1, seed: int = 0,
            init_noise: np.ndarray | None = None,
            on_step: Callable[[Step, Callable[[], np.ndarray]], None] | None = None) -> np.ndarray:
    """Run the whole loop in `net`'s engine; return the final sample (B, C, H, W).

    `on_step(step, peek)` is called after each step; `peek()` fetches the current sample.
    """
    engine, schedule = net.engine, NoiseSchedule.from_config(net.model.scheduler_config)
    if init_noise is not None:
        init_noise, _ = net.check_inputs(init_noise, timesteps[0])
        shape = init_noise.shape
    else:
        if batch < 1:
            raise SQLDiffusionError(f"batch size must be at least 1 (got {batch})")
        shape = (batch, net.config.in_channels, *image_size(net.config))
    if net.config.out_channels != net.config.in_channels:
        raise SQLDiffusionError("the model's out_channels differ from its in_channels: it cannot predict noise "
                                "for its own samples")
    program = net.program(*shape[2:])
    try:
        loop(engine, program, schedule, rule, timesteps, shape, seed, init_noise, on_step)
        return engine.fetch_image(SAMPLE, shape)
    finally:
        engine.drop(*relations(program))


def relations(program) -> list[str]:
    """Every relation the loop may create."""
    return [SCHEDULE, SAMPLE, TIMESTEPS, COEFFICIENTS, NOISE, NEXT, *(s.target for s in program.statements)]


def loop(engine, program, schedule: NoiseSchedule, rule: StepRule, timesteps: list[int],
         shape: tuple[int, int, int, int], seed: int, init_noise: np.ndarray | None = None,
         on_step: Callable[[Step, Callable[[], np.ndarray]], None] | None = None) -> None:
    """The statements of the denoising loop, through the engine; leaves x_0 in SAMPLE.

    Only create/drop/rename/execute reach the engine (put_image for a given x_T, fetch_image when
    on_step peeks), so the same loop can be written out as a script (`sql/script.py`).
    """
    engine.create(SCHEDULE, schedule_sql(schedule))
    if init_noise is not None:
        engine.put_image(SAMPLE, init_noise)
    else:
        engine.create(SAMPLE, engine.dialect.gaussian_noise(shape, seed, stream=0))
    for i, t in enumerate(timesteps):
        step = Step(i, len(timesteps), t, timesteps[i + 1] if i + 1 < len(timesteps) else -1)
        eps = engine.execute(program, [t] * shape[0])
        noise = None
        if rule.adds_noise(step.timestep, step.prev):
            noise = NOISE
            engine.create(NOISE, engine.dialect.gaussian_noise(shape, seed, stream=step.index + 1))
        sampler_step(engine, schedule, rule, step, eps, noise, shape[1])
        engine.drop(eps, NOISE)
        if on_step:
            on_step(step, lambda: engine.fetch_image(SAMPLE, shape))


def sampler_step(engine, schedule: NoiseSchedule, rule: StepRule, step: Step, eps: str, noise: str | None,
                 channels: int) -> None:
    """Replace SAMPLE (x_t) by x_prev, given the UNet's prediction in relation `eps` and, when the
    rule adds noise at this step, standard normal noise in relation `noise`."""
    engine.create(COEFFICIENTS, coefficients_sql(rule, schedule, step.timestep, step.prev))
    clip = float(schedule.clip_sample_range) if schedule.clip_sample else None
    engine.create(NEXT, engine.dialect.sampler_step(SAMPLE, eps, noise, COEFFICIENTS, clip, channels))
    engine.drop(COEFFICIENTS)
    engine.rename(NEXT, SAMPLE)
