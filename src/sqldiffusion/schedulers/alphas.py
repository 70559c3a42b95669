"""DDPM and DDIM: steps between integer timesteps of the cumulative-alpha schedule (diffusers'
DDPMScheduler and DDIMScheduler), each one statement over x_t, the predicted noise and, when the
step draws it, noise (`Dialect.sampler_step`, coefficients from `coefficients_sql`)."""

from __future__ import annotations

from ..errors import SQLDiffusionError
from ..literals import number
from ..program import SAMPLE
from .base import COEFFICIENTS, EPS_HISTORY, EPSILON, NEXT, SAVED, Scheduler, as_epsilon, predict_x0, replace_sample
from .schedule import BLOG_TIMESTEPS, SCHEDULE, NoiseSchedule, add_noise_sql, spaced_timesteps
from .sql import sampler_step


def coefficients_sql(kind: str, schedule: NoiseSchedule, t: int, prev: int, eta: float = 0.0,
                     noisy: bool = False) -> str:
    """One row: x0 = clip((x - sb * eps) / sa); x_prev = p * x0 + q * x + r * eps + sigma * noise.

    `kind` "ddpm" (diffusers `DDPMScheduler.step`, custom timesteps): the posterior mean between t
    and prev, with sigma^2 the fixed_small (or fixed_large) variance where `noisy`. "ddim"
    (`DDIMScheduler.step`): sqrt(abar_prev) * x0 plus the direction to x_t, sigma = eta * its
    variance where `noisy`. "repaint" (`RePaintScheduler.step`): DDIM's step for the pixels to
    fill, and for the known pixels the given picture noised to prev: ka * picture + kb * noise.
    """
    final = "1.0" if kind in ("ddpm", "repaint") or schedule.set_alpha_to_one else \
        f"(SELECT alpha_bar FROM {SCHEDULE} WHERE t = 0)"
    bars = (f"SELECT (SELECT alpha_bar FROM {SCHEDULE} WHERE t = {int(t)}) AS abar_t,\n"
            f"       COALESCE((SELECT alpha_bar FROM {SCHEDULE} WHERE t = {int(prev)}), {final}) AS abar_p")
    if kind == "ddpm":
        variance = "(1 - abar_p) / (1 - abar_t) * (1 - abar_t / abar_p)" if schedule.variance_type == "fixed_small" \
            else "(1 - abar_t / abar_p)"
        sigma = f"sqrt(greatest({variance}, 1e-20))" if noisy else "0.0"
        coefficients = (f"sqrt(abar_p) * (1 - abar_t / abar_p) / (1 - abar_t) AS p, "
                        f"sqrt(abar_t / abar_p) * (1 - abar_p) / (1 - abar_t) AS q, 0.0 AS r, {sigma} AS sigma")
    else:
        std = f"{number(float(eta))} * sqrt((1 - abar_p) / (1 - abar_t) * (1 - abar_t / abar_p))"
        coefficients = (f"sqrt(abar_p) AS p, 0.0 AS q, sqrt(greatest(1 - abar_p - power({std}, 2), 0)) AS r, "
                        f"{std if noisy else '0.0'} AS sigma")
        if kind == "repaint":
            coefficients += ", sqrt(abar_p) AS ka, sqrt(1 - abar_p) AS kb"
    return (f"SELECT sqrt(abar_t) AS sa, sqrt(1 - abar_t) AS sb, {coefficients}\n"
            f"FROM ({bars}) AS a")


class AlphaScheduler(Scheduler):
    """What DDPM and DDIM share: the plan, the start, and the statement of a step."""

    default_steps, default_timesteps = None, BLOG_TIMESTEPS

    def spaced_plan(self, steps: int | None) -> list[float]:
        # diffusers' DDPMPipeline default: every training step
        return spaced_timesteps(self.schedule, self.schedule.num_train_timesteps if steps is None else steps)

    def prev(self, i: int) -> int:
        return self.planned[i + 1] if i + 1 < len(self.planned) else -1

    def start_sql(self) -> str:
        return add_noise_sql(self.planned[0])

    def step(self, engine, i, eps, noise, channels, predict=False) -> None:
        schedule, t, prev = self.schedule, self.planned[i], self.prev(i)
        engine.create(COEFFICIENTS, coefficients_sql(self.kind, schedule, t, prev, self.eta, self.adds_noise(i)))
        eps = as_epsilon(engine, schedule, eps, channels)
        clip = float(schedule.clip_sample_range) if schedule.clip_sample else None
        if predict:
            predict_x0(engine, eps, channels, f"SELECT sa, sb FROM {COEFFICIENTS}", clip)
        replace_sample(engine, sampler_step(engine.dialect, SAMPLE, eps, noise, COEFFICIENTS, clip, channels))
        engine.drop(COEFFICIENTS, *([EPSILON] if eps == EPSILON else []))


class DDPMScheduler(AlphaScheduler):
    """DDPM's posterior step (diffusers' DDPMScheduler); `add_noise=False` gives the blog's
    "average butterfly"."""

    kind, options = "ddpm", ("add_noise",)

    def adds_noise(self, i: int) -> bool:
        return self.add_noise and self.planned[i] > 0


class DDIMScheduler(AlphaScheduler):
    """DDIM (diffusers' DDIMScheduler): deterministic at eta 0, as noisy as DDPM at eta 1."""

    kind, options = "ddim", ("eta",)
    stride: int | None = None  # a spaced plan's: diffusers' DDIM steps from t to t - T // n, whatever the spacing

    def spaced_plan(self, steps: int | None) -> list[float]:
        plan = super().spaced_plan(steps)
        self.stride = self.schedule.num_train_timesteps // len(plan)
        return plan

    def custom_plan(self, timesteps) -> list[float]:
        self.stride = None  # a given list: each step to the next timestep of the list
        return super().custom_plan(timesteps)

    def prev(self, i: int) -> int:
        return super().prev(i) if self.stride is None else self.planned[i] - self.stride

    def adds_noise(self, i: int) -> bool:
        return self.eta > 0 and self.prev(i) >= 0


class PNDMScheduler(AlphaScheduler):
    """PNDM's pseudo linear multistep method (diffusers' PNDMScheduler with skip_prk_steps, the
    PLMS steps): DDIM-like transfers whose noise is extrapolated from up to four earlier model
    outputs (Adams-Bashforth weights); the second timestep is evaluated twice, the first time to
    correct the first step (the mean of the two outputs, from the first sample). n steps, n + 1
    passes. The transfer from t to t' with e: sqrt(a'/a) x - (a' - a) e / (a sqrt(1 - a') +
    sqrt(a (1 - a) a')), a and a' the cumulative alphas (a' = 1 past the end only with
    set_alpha_to_one, off unless the config says so, as PNDMScheduler). A v-predicting model's
    combined output is turned into noise at the transfer's own sample and level, as diffusers' is:
    e = sqrt(a) v + sqrt(1 - a) x, folded into the transfer's coefficients."""
    predictions = ("epsilon", "v_prediction")  # as PNDMScheduler

    defaults = {"set_alpha_to_one": False}
    default_steps, default_timesteps = 8, None
    WEIGHTS = {1: (1,), 2: (3 / 2, -1 / 2), 3: (23 / 12, -16 / 12, 5 / 12), 4: (55 / 24, -59 / 24, 37 / 24, -9 / 24)}

    def spaced_plan(self, steps):
        steps = self.checked_steps(steps)
        return spaced_timesteps(self.schedule, steps)

    def custom_plan(self, timesteps):
        """PNDM plans its own timesteps: a list is taken only if it is its plan of that many steps."""
        own = self.spaced_plan(len(timesteps)) if timesteps else []
        if [float(t) for t in timesteps] != [float(t) for t in own]:
            raise SQLDiffusionError("pndm plans its own timesteps: give a number of steps, not a list")
        return own

    @property
    def gap(self) -> int:
        return self.schedule.num_train_timesteps // len(self.planned)

    @property
    def timesteps(self) -> list[float]:
        ts = self.planned
        return ts[:1] + ts[1:2] + ts[1:] if len(ts) > 1 else list(ts)

    def start_sql(self) -> str:
        return add_noise_sql(self.planned[0])

    def adds_noise(self, i: int) -> bool:
        return False

    def transfer_sql(self, t: int, prev: int, weights: tuple[float, ...]) -> str:
        final = "1.0" if self.schedule.set_alpha_to_one else f"(SELECT alpha_bar FROM {SCHEDULE} WHERE t = 0)"
        bars = (f"SELECT (SELECT alpha_bar FROM {SCHEDULE} WHERE t = {int(t)}) AS a,\n"
                f"       COALESCE((SELECT alpha_bar FROM {SCHEDULE} WHERE t = {int(prev)}), {final}) AS ap")
        e = "(ap - a) / (a * sqrt(1 - ap) + sqrt(a * (1 - a) * ap))"
        v = self.schedule.prediction_type == "v_prediction"
        rs = ", ".join(f"({number(-w)}) * {e}{' * sqrt(a)' if v else ''} AS r{k}" for k, w in enumerate(weights))
        q = f"sqrt(ap / a) - {e} * sqrt(1 - a)" if v else "sqrt(ap / a)"  # the weights sum to 1
        return f"SELECT {q} AS q, {rs} FROM ({bars}) AS b"

    def step(self, engine, i, eps, noise, channels, predict=False) -> None:
        t, gap = self.timesteps[i], self.gap
        if predict:
            engine.create(COEFFICIENTS, add_noise_sql(t))
            predict_x0(engine, as_epsilon(engine, self.schedule, eps, channels), channels, add_noise_sql(t))
            engine.drop(COEFFICIENTS, EPSILON)
        if i == 1:  # the first step again, from its sample, with the mean output
            engine.create(COEFFICIENTS, self.transfer_sql(t + gap, t, (0.5, 0.5)))
            relations = [SAVED, eps, EPS_HISTORY[0]]
        else:
            kept = min(i if i < 2 else i - 1, 3)  # earlier outputs in the extrapolation (the second pass's is not)
            weights = self.WEIGHTS[kept + 1]
            engine.create(COEFFICIENTS, self.transfer_sql(t, t - gap, weights))
            relations = [SAMPLE, eps, *EPS_HISTORY[:kept]]
        formula = lambda x, *es: " + ".join([f"c.q * {x}", *(f"c.r{k} * {e}" for k, e in enumerate(es))])  # noqa: E731
        engine.create(NEXT, engine.dialect.pixelwise(channels, formula, relations, COEFFICIENTS))
        engine.drop(COEFFICIENTS)
        if i == 0:
            engine.rename(SAMPLE, SAVED)
        if i == 1:
            engine.drop(SAVED)
        else:  # keep this output for the steps after: the newest first, at most three
            engine.drop(EPS_HISTORY[-1])
            for k in range(min(self.stored(i), len(EPS_HISTORY) - 1) - 1, -1, -1):
                engine.rename(EPS_HISTORY[k], EPS_HISTORY[k + 1])
            engine.create(EPS_HISTORY[0], f"SELECT * FROM {eps}")
        engine.rename(NEXT, SAMPLE)

    def stored(self, i: int) -> int:
        """How many earlier outputs are kept when pass i begins."""
        return 0 if i == 0 else 1 if i <= 2 else min(i - 1, 3)
