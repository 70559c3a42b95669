"""The sampler's SQL: the noise schedule and the coefficients of one denoising step.

Everything here is plain SQL that DuckDB and PostgreSQL both run (generate_series, window sums,
sqrt/ln/exp); the per-pixel arithmetic of a step and the Gaussian noise live in the dialects,
because they touch the activation layout.

Numbers are rounded to float32 (`::REAL`) exactly where diffusers' float32 tensors round them, so
the schedule equals `DDPMScheduler.alphas_cumprod` (torch accumulates its cumulative product in
double on CPU, as the window sum of logarithms does here).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..sampling.schedule import NoiseSchedule

SCHEDULE = "sqld_schedule"  # (t INTEGER, alpha_bar DOUBLE): cumulative product of alphas, float32-rounded
COEFFICIENTS = "sqld_step"  # one row: the coefficients of the current step


@dataclass(frozen=True)
class StepRule:
    """Which update a step applies: DDPM's posterior or DDIM's, with or without added noise."""

    sampler: str = "ddpm"  # "ddpm" or "ddim"
    eta: float = 0.0  # DDIM only: 0 deterministic, 1 as noisy as DDPM
    add_noise: bool = True  # DDPM only: False gives the blog's "average butterfly"

    def adds_noise(self, t: int, prev: int) -> bool:
        if self.sampler == "ddim":
            return self.eta > 0 and prev >= 0
        return self.add_noise and t > 0


def schedule_sql(schedule: NoiseSchedule) -> str:
    """SELECT t, alpha_bar for every training timestep."""
    total = schedule.num_train_timesteps
    start, end = float(schedule.beta_start), float(schedule.beta_end)
    if schedule.beta_schedule == "linear":
        beta = _linspace(start, end, total)
    elif schedule.beta_schedule == "scaled_linear":
        root = _linspace(start ** 0.5, end ** 0.5, total)
        beta = f"({root} * {root})::REAL"
    else:  # squaredcos_cap_v2: beta_i = min(1 - abar((i+1)/T) / abar(i/T), 0.999)
        def abar(i: str) -> str:
            return f"power(cos((({i})::DOUBLE PRECISION / {total} + 0.008) / 1.008 * pi() / 2), 2)"
        beta = f"least(1 - {abar('s + 1')} / {abar('s')}, 0.999)::REAL"
    alpha = f"(1 - {beta})::REAL"
    return (f"SELECT s::INTEGER AS t, (exp(sum(ln({alpha})) OVER (ORDER BY s))::REAL)::DOUBLE PRECISION AS alpha_bar\n"
            f"FROM generate_series(0, {total - 1}) AS g(s)")


def coefficients_sql(rule: StepRule, schedule: NoiseSchedule, t: int, prev: int) -> str:
    """One row: x0 = clip((x - sb * eps) / sa); x_prev = p * x0 + q * x + r * eps + sigma * noise.

    DDPM (diffusers `DDPMScheduler.step`, custom timesteps): the posterior mean between t and prev,
    with sigma^2 the fixed_small (or fixed_large) variance. DDIM (`DDIMScheduler.step`):
    sqrt(abar_prev) * x0 plus the direction to x_t, sigma = eta * its variance.
    """
    final = "1.0" if rule.sampler == "ddpm" or schedule.set_alpha_to_one else \
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
        std = f"{float(rule.eta)!r} * sqrt((1 - abar_p) / (1 - abar_t) * (1 - abar_t / abar_p))"
        coefficients = (f"sqrt(abar_p) AS p, 0.0 AS q, sqrt(greatest(1 - abar_p - power({std}, 2), 0)) AS r, "
                        f"{std if noisy else '0.0'} AS sigma")
    return (f"SELECT sqrt(abar_t) AS sa, sqrt(1 - abar_t) AS sb, {coefficients}\n"
            f"FROM ({bars}) AS a")


def _linspace(start: float, end: float, n: int) -> str:
    """Entry s of torch.linspace(start, end, n) in float32, rounded as torch rounds it: the first half
    counts up from start, the second half down from end, each in one fused multiply-add."""
    lo, hi = f"{start!r}::REAL", f"{end!r}::REAL"
    step = f"(({hi} - {lo})::REAL / {n - 1})::REAL"
    return (f"(CASE WHEN s < {n // 2} THEN {lo}::DOUBLE PRECISION + {step}::DOUBLE PRECISION * s "
            f"ELSE {hi}::DOUBLE PRECISION - {step}::DOUBLE PRECISION * ({n - 1} - s) END)::REAL")
