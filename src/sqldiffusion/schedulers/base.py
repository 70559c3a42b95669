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

from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace

from ..errors import SQLDiffusionError
from ..events import Step
from ..fields import shown
from ..model.schedule import SCHEDULE_FIELDS
from ..program import SAMPLE
from .schedule import SCHEDULE, SIGMAS, NoiseSchedule, schedule_sql
from .sql import sampler_step

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
RELATIONS = (SCHEDULE, SIGMAS, COEFFICIENTS, NEXT, PREDICTION, PREDICTING, *HISTORY, *EPS_HISTORY,
             LEVELS, DERIVATIVE, SAVED,
             STEPPED, CORRECTED, CORRECTING, EPSILON)
PREDICTIONS = ("epsilon", "v_prediction", "sample")  # what a model's output may be (diffusers' prediction_type)
# diffusers' scheduler settings that change the schedule or the sigmas, offered only at their defaults:
# a config or a diffusers scheduler that sets one otherwise is one line, never a different picture
FIXED = {"rescale_betas_zero_snr": False, "use_exponential_sigmas": False, "use_beta_sigmas": False,
         "use_flow_sigmas": False, "use_dynamic_shifting": False, "timestep_type": "discrete",
         "interpolation_type": "linear", "final_sigmas_type": "zero"}


class Scheduler:
    """A sampling algorithm on one noise schedule; subclasses give the plan and the update.

    As diffusers' schedulers: `from_config(config, **overrides)` builds one from a
    `scheduler_config.json` (or another scheduler's `.config`), and `.config` gives its settings
    back, naming the fields it left at their defaults (`_use_default_values`) so that another class
    made from them takes its own defaults there. Each class declares what it takes: its own options
    (`options`: DDIM's eta, DDPM's add_noise), the config keys that choose its algorithm
    (`algorithm`, with their defaults), whether Karras sigmas apply, and its default steps.
    """

    options: tuple[str, ...] = ()  # of OPTIONS, the ones it takes
    algorithm: dict = {}  # config keys that choose the algorithm, with their defaults (DPM-Solver's order)
    defaults: dict = {}  # the schedule's fields this algorithm defaults otherwise, where the config is silent
    karras_allowed = False  # whether use_karras_sigmas applies
    predictions = PREDICTIONS  # the prediction types it takes
    order = 1  # UNet passes per step
    default_steps: int | None = 8  # the command line's, without --steps or --timesteps
    default_timesteps: tuple[int, ...] | None = None  # or its list (DDPM and DDIM: the blog's schedule)
    pipeline_steps: int | None = 1000  # the Python pipelines' (diffusers' DDPMPipeline: every training step)
    deterministic_sibling: str | None = None  # a sampler whose noise is part of its method: the one without
    fixed: dict = {}  # diffusers' settings of this class that only their default is offered for (with FIXED)

    def __init__(self, schedule: NoiseSchedule | None = None, use_karras_sigmas: bool = False, eta: float = 0.0,
                 add_noise: bool = True, **algorithm) -> None:
        schedule = NoiseSchedule() if schedule is None else schedule
        for key, value in {**self.algorithm, **algorithm}.items():
            if key not in self.algorithm:
                raise SQLDiffusionError(f"{type(self).__name__} takes no option {shown(key)}")
            setattr(self, key, value)
        self.eta, self.add_noise, self.karras = eta, add_noise, use_karras_sigmas
        self.check_options()
        self.eta, self.add_noise, self.karras = float(eta), bool(add_noise), bool(use_karras_sigmas)
        self.schedule = replace(schedule, **{k: v for k, v in self.defaults.items() if k not in schedule.given})
        if self.schedule.prediction_type not in self.predictions:
            raise SQLDiffusionError(f"the {self.name} sampler takes models that predict "
                                    f"{' or '.join(self.predictions)}; this one predicts "
                                    f"{self.schedule.prediction_type} (ddpm, ddim, dpmpp-*, unipc, euler and heun "
                                    "take every kind)")
        self.planned: list[float] = []
        self._asked: tuple | None = None

    def check_options(self) -> None:
        """One line for an option this sampler does not take (given other than at its default)."""
        name = self.name
        if not isinstance(self.eta, (int, float)) or isinstance(self.eta, bool) or not 0 <= self.eta <= 1:
            raise SQLDiffusionError(f"eta {shown(self.eta)} is outside [0, 1]")
        if self.eta and "eta" not in self.options:
            raise SQLDiffusionError(f"eta applies to the ddim sampler, not {name}"
                                    + ("; for ddpm use add_noise / --no-noise" if self.kind == "ddpm" else ""))
        if not self.add_noise and "add_noise" not in self.options:
            if "eta" in self.options:
                raise SQLDiffusionError(f"--no-noise (add_noise=False) applies to the ddpm sampler; {name} adds noise "
                                        "only with eta > 0, and none at the default eta 0")
            how = (f"{name}'s noise is part of its method (its deterministic sibling: {self.deterministic_sibling})"
                   if self.deterministic_sibling else f"{name} adds no noise")
            raise SQLDiffusionError(f"--no-noise (add_noise=False) applies to the ddpm sampler; {how}")
        if self.karras and not self.karras_allowed:
            raise SQLDiffusionError("--karras (use_karras_sigmas) "
                                    f"applies to {', '.join(karras_samplers())}, not {name}")

    kind = ""  # the family of its update, where steps share SQL (ddpm, ddim, repaint)

    @property
    def name(self) -> str:
        """Its name on the command line (schedulers.SAMPLERS), or its diffusers class name."""
        from . import short_name

        return short_name(self)

    # ---- as diffusers' ConfigMixin ----------------------------------------------------------------
    @classmethod
    def from_config(cls, config=None, **overrides) -> "Scheduler":
        """A scheduler of this class on the schedule `config` gives (a scheduler_config.json dict, a
        diffusers scheduler's `.config`, or ours), keys it does not take ignored; `overrides` win
        and are checked (a schedule field, an option, or use_karras_sigmas)."""
        config = given_settings(config)
        for key, offered in {**FIXED, **cls.fixed}.items():
            if config.get(key) is not None and config[key] != offered:
                raise SQLDiffusionError(f"{cls.__name__}: {key} {shown(config[key])} is not offered (only "
                                        f"{shown(offered)}); leave it at its default")
        fields = {k: overrides.pop(k) for k in list(overrides) if k in SCHEDULE_FIELDS}
        schedule = NoiseSchedule.from_config({**config, **fields})
        taken = {k: config[k] for k in (*cls.algorithm, *cls.options) if k in config}
        if cls.karras_allowed and config.get("use_karras_sigmas") is True:
            taken["use_karras_sigmas"] = True
        return cls(schedule, **{**taken, **overrides})

    @property
    def config(self) -> dict:
        """Its settings, as diffusers' `scheduler.config`: the class, the schedule, its algorithm and
        options, and `_use_default_values`, the schedule's fields it was not given."""
        fields = {k: v for k, v in asdict(self.schedule).items() if k != "given"}
        own = {k: getattr(self, k) for k in (*self.algorithm, *self.options)}
        karras = {"use_karras_sigmas": self.karras} if self.karras_allowed else {}
        return {"_class_name": type(self).__name__, **fields, **own, **karras,
                "_use_default_values": sorted(k for k in fields if k not in self.schedule.given)}

    def with_options(self, **changes) -> "Scheduler":
        """The same scheduler with some options or fields changed (its plan not carried over)."""
        return type(self).from_config(self.config, **changes)

    # ---- the plan ---------------------------------------------------------------------------
    @property
    def spacing(self) -> str:
        return self.schedule.timestep_spacing

    def set_timesteps(self, num_inference_steps: int | None = None, timesteps: Sequence[float] | None = None) -> None:
        """The plan of `num_inference_steps` spaced as the algorithm spaces them, or of a given list;
        asked again for the same plan, kept as it is (a Karras plan is computed in SQL)."""
        asked = (num_inference_steps, None if timesteps is None else tuple(timesteps))
        if asked == self._asked and self.planned:
            return
        if timesteps is not None:
            if num_inference_steps is not None:
                raise SQLDiffusionError("give either a number of steps or a list of timesteps, not both")
            if self.karras:
                raise SQLDiffusionError("Karras sigmas set their own timesteps: give a number of steps, not a list")
            self.planned = self.custom_plan(timesteps)
        else:
            self.planned = self.spaced_plan(num_inference_steps)
        self._asked = asked

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
    engine.create(PREDICTION, sampler_step(engine.dialect, SAMPLE, eps, None, PREDICTING, clip, channels))
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
    from . import SAMPLERS

    return [name for name, (cls, _) in SAMPLERS.items() if cls.karras_allowed]



def given_settings(config) -> dict:
    """A scheduler config as a plain dict (a diffusers FrozenDict too) less the fields it says it
    left at their defaults (diffusers' `_use_default_values`); one line for what is not a mapping."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise SQLDiffusionError("scheduler config: expected a JSON object of scheduler settings")
    config = dict(config)
    defaulted = config.pop("_use_default_values", None) or []
    if not isinstance(defaulted, (list, tuple)) or not all(isinstance(k, str) for k in defaulted):
        raise SQLDiffusionError("scheduler config: _use_default_values must be a list of field names")
    return {k: v for k, v in config.items() if k not in defaulted}
