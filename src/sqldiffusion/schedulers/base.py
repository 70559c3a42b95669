"""What every scheduler is: built from a model's `scheduler_config.json`, it plans the UNet passes
of a run and writes, through the engine's dialect, the SQL of each update.

The loop that runs a plan (`pipeline.loop`) knows only this interface:

- `set_timesteps(n)` or `set_timesteps(timesteps=[...])`: the plan. `planned` holds the timesteps of
  the plan's steps, `timesteps` the model timestep of each UNet pass (Heun evaluates the model twice
  per step), `steps()` one `Step` per pass, for progress and events;
- `begin(engine)`: the tables a run reads (the schedule, and the sigma of each step where the
  algorithm has them);
- `start_sql()` and `init_scale_sql()`: the coefficients that put the first sample in place;
- `step(engine, i, eps, noise, channels, predict)`: replace the sample by the next one, given the
  model's output of pass i in relation `eps`, and when `adds_noise(i)`, standard normal noise.

The sample in relation SAMPLE is always what the UNet reads at the pass's timestep: diffusers'
"variance preserving" x_t. Schedulers that work on sigmas (Euler, Heun: x = x_t * sqrt(sigma^2 + 1))
convert inside their coefficients, so the UNet needs no scaled copy of its input (diffusers'
`scale_model_input`) and every sampler's progress pictures look alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..errors import SQLDiffusionError
from ..events import Step
from ..fields import shown
from ..program import SAMPLE
from ..scheduler import SCHEDULE, NoiseSchedule, schedule_sql

COEFFICIENTS = "sqld_step"  # one row: the coefficients of the current step
NEXT = "sqld_next"  # the next sample, renamed to SAMPLE once made
PREDICTION = "sqld_x0"  # the clean picture a step predicts, made when a run is watched (or kept as history)
PREDICTING = "sqld_x0_step"  # the coefficients that give it
HISTORY = ("sqld_x0_before", "sqld_x0_before2")  # multistep solvers: the predicted x0 of the steps before
LEVELS = "sqld_levels"  # sigma schedulers: (b, t, sigma) of each step, b = its index, the last sigma 0
DERIVATIVE = "sqld_derivative"  # Heun: the first evaluation's derivative
SAVED = "sqld_saved"  # Heun: the sample its step started from
STEPPED = "sqld_stepped"  # Heun: the first evaluation's step, before SAMPLE is kept as SAVED
EPS_HISTORY = ("sqld_eps_before", "sqld_eps_before2", "sqld_eps_before3")  # PNDM: earlier model outputs
CORRECTED = "sqld_corrected"  # UniPC: the last corrected sample
CORRECTING = "sqld_correcting"  # UniPC: the corrector's coefficients
EPSILON = "sqld_epsilon"  # the noise a v- or x0-predicting model's output implies
RELATIONS = (SCHEDULE, COEFFICIENTS, NEXT, PREDICTION, PREDICTING, *HISTORY, *EPS_HISTORY, LEVELS, DERIVATIVE, SAVED,
             STEPPED, CORRECTED, CORRECTING, EPSILON)
PREDICTIONS = ("epsilon", "v_prediction", "sample")  # what a model's output may be (diffusers' prediction_type)


class Scheduler:
    """A sampling algorithm on one noise schedule; subclasses give the plan and the update."""

    name = ""  # the sampler's name on the command line
    diffusers_class = ""  # the diffusers scheduler it matches
    defaults: dict = {}  # the schedule's fields this algorithm defaults otherwise, where the config is silent
    karras_allowed = False  # whether use_karras_sigmas applies
    predictions = PREDICTIONS  # the prediction types it takes
    order = 1  # UNet passes per step

    def __init__(self, schedule: NoiseSchedule, use_karras_sigmas: bool = False) -> None:
        if use_karras_sigmas and not self.karras_allowed:
            raise SQLDiffusionError(f"--karras (use_karras_sigmas) does not apply to {self.name}; it applies to "
                                    f"{', '.join(karras_samplers())}")
        self.schedule = replace(schedule, **{k: v for k, v in self.defaults.items() if k not in schedule.given})
        if self.schedule.prediction_type not in self.predictions:
            raise SQLDiffusionError(f"the {self.name} sampler takes models that predict "
                                    f"{' or '.join(self.predictions)}; this one predicts "
                                    f"{self.schedule.prediction_type} (ddpm, ddim, dpmpp-*, unipc, euler and heun "
                                    "take every kind)")
        self.karras = bool(use_karras_sigmas)
        self.planned: list[float] = []

    @classmethod
    def from_config(cls, config: dict | None, **options) -> "Scheduler":
        """As diffusers' `from_config`: the schedule's keys from the config, the rest this algorithm's."""
        return cls(NoiseSchedule.from_config(config), **options)

    # ---- the plan ---------------------------------------------------------------------------
    @property
    def spacing(self) -> str:
        return self.schedule.timestep_spacing

    def set_timesteps(self, num_inference_steps: int | None = None, timesteps: Sequence[float] | None = None) -> None:
        if timesteps is not None:
            if num_inference_steps is not None:
                raise SQLDiffusionError("give either a number of steps or a list of timesteps, not both")
            if self.karras:
                raise SQLDiffusionError("Karras sigmas set their own timesteps: give a number of steps, not a list")
            self.planned = self.custom_plan(timesteps)
        else:
            self.planned = self.spaced_plan(num_inference_steps)

    def custom_plan(self, timesteps: Sequence[float]) -> list[float]:
        """A given list: whole, strictly descending timesteps the model was trained at."""
        total = self.schedule.num_train_timesteps
        ts = [int(t) for t in timesteps]
        if any(t != float(s) for t, s in zip(ts, timesteps)):
            raise SQLDiffusionError("timesteps must be whole numbers")
        if not ts:
            raise SQLDiffusionError("the timestep list is empty")
        if any(a <= b for a, b in zip(ts, ts[1:])):
            raise SQLDiffusionError(f"timesteps {shown(','.join(map(str, ts)))} are not strictly descending")
        if ts[0] >= total or ts[-1] < 0:
            raise SQLDiffusionError(f"timesteps must lie in [0, {total}) for a model trained with {total} steps")
        return ts

    def spaced_plan(self, steps: int | None) -> list[float]:
        raise NotImplementedError

    def checked_steps(self, steps: int | None, default: int = 20) -> int:
        total = self.schedule.num_train_timesteps
        steps = default if steps is None else steps
        if not 1 <= steps <= total:
            raise SQLDiffusionError(f"steps must be from 1 to the {total} the model was trained with "
                                    f"(got {shown(steps)})")
        return steps

    @property
    def timesteps(self) -> list[float]:
        """The model timestep of each UNet pass."""
        return list(self.planned)

    def steps(self) -> list[Step]:
        """One Step per UNet pass: its index, the pass count, the timestep and the one it steps to."""
        ts = self.timesteps
        return [Step(i, len(ts), t, ts[i + 1] if i + 1 < len(ts) else -1) for i, t in enumerate(ts)]

    # ---- the SQL ----------------------------------------------------------------------------
    def begin(self, engine) -> None:
        """The tables every step reads."""
        engine.create(SCHEDULE, schedule_sql(self.schedule, engine.dialect))

    def start_sql(self) -> str:
        """One row (sa, sb): a clean picture noised to the first pass's level is sa * x0 + sb * noise."""
        raise NotImplementedError

    def init_scale_sql(self) -> str | None:
        """One row (sa, sb = 0) scaling standard normal noise to the first sample (diffusers'
        init_noise_sigma, in the sample's own scale), or None where the noise is the sample as it is."""
        return None

    def adds_noise(self, i: int) -> bool:
        return False

    def step(self, engine, i: int, eps: str, noise: str | None, channels: int, predict: bool = False) -> None:
        raise NotImplementedError

    def relations(self) -> tuple[str, ...]:
        """Every relation the scheduler's SQL may leave behind."""
        return RELATIONS



def predict_x0(engine, eps: str, channels: int, levels: str, clip: float | None = None) -> None:
    """PREDICTION: the clean picture x0 = clip((x_t - sb * eps) / sa) the pass predicts, sa and sb
    from the one-row SELECT `levels`."""
    engine.create(PREDICTING, f"SELECT sa, sb, 1.0 AS p, 0.0 AS q, 0.0 AS r, 0.0 AS sigma FROM ({levels}) AS l")
    engine.create(PREDICTION, engine.dialect.sampler_step(SAMPLE, eps, None, PREDICTING, clip, channels))
    engine.drop(PREDICTING)


def as_epsilon(engine, schedule: NoiseSchedule, output: str, channels: int) -> str:
    """The relation holding the noise the model's `output` implies at this pass, whose levels are
    COEFFICIENTS' sa and sb (x_t = sa x0 + sb eps): the output itself for an epsilon model, else
    EPSILON: sa v + sb x_t for v_prediction, (x_t - sa x0) / sb for sample. Every scheduler then
    steps on the noise, as diffusers' convert their model output to the x0 and noise they use."""
    kind = schedule.prediction_type
    if kind == "epsilon":
        return output
    formula = (lambda x, v: f"c.sa * {v} + c.sb * {x}") if kind == "v_prediction" else \
        (lambda x, x0: f"({x} - c.sa * {x0}) / c.sb")
    engine.create(EPSILON, engine.dialect.pixelwise(channels, formula, [SAMPLE, output], COEFFICIENTS))
    return EPSILON


def replace_sample(engine, select: str) -> None:
    """SAMPLE <- the result of `select` (which may read SAMPLE)."""
    engine.create(NEXT, select)
    engine.rename(NEXT, SAMPLE)


def karras_samplers() -> list[str]:
    from . import SCHEDULERS

    return [name for name, cls in SCHEDULERS.items() if cls.karras_allowed]
