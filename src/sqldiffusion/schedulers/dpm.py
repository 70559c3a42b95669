"""DPM-Solver++ (diffusers' DPMSolverMultistepScheduler, algorithm_type "dpmsolver++" or
"sde-dpmsolver++", solver_type "midpoint"): multistep solvers that keep the clean pictures x0
predicted at the last one or two steps and extrapolate from them.

A step from timestep t (alpha_t, sigma_t, lambda_t = ln alpha_t - ln sigma_t, with diffusers'
sigma = sqrt((1 - abar) / abar), alpha = 1 / sqrt(sigma^2 + 1), its sigma_t = sigma * alpha) to the
next, h = lambda_next - lambda_t, is one statement in `Dialect.sampler_step`'s terms:
x0 = (x - sb * eps) / sa; x_next = p * x0 + q * x + u1 * x0_before + u2 * x0_before2 + sigma * z.
The first step and the last (to sigma 0) are first order; 3M's second step, and its one before the
last under 15 steps, second order (diffusers' lower_order_final).
"""

from __future__ import annotations

from ..errors import SQLDiffusionError
from ..fields import shown
from ..program import SAMPLE
from .base import (
    COEFFICIENTS,
    CORRECTED,
    CORRECTING,
    EPSILON,
    HISTORY,
    NEXT,
    PREDICTION,
    Scheduler,
    as_epsilon,
    predict_x0,
    replace_sample,
)
from .schedule import SCHEDULE, SIGMAS, dpm_plan, karras_plan, karras_sql
from .sql import sampler_step


def lam(name: str) -> str:
    """lambda = ln alpha - ln sigma of the level named `name` (columns a_<name>, s_<name>)."""
    return f"(ln(a_{name}) - ln(s_{name}))"


class MultistepScheduler(Scheduler):
    """What DPM-Solver++ and UniPC share: the plan, the levels, and the predictor's statement."""

    defaults = {"timestep_spacing": "linspace"}
    karras_allowed = True
    solver_order, sde = 2, False

    def spaced_plan(self, steps):
        steps = self.checked_steps(steps)
        return karras_plan(self.schedule, steps) if self.karras else dpm_plan(self.schedule, steps)

    def begin(self, engine) -> None:
        super().begin(engine)
        if self.karras:  # the plan's sigmas, from the schedule, as the plan was made (scheduler.karras_plan)
            engine.create(SIGMAS, karras_sql(self.schedule, len(self.planned), engine.dialect))

    def order_at(self, i: int) -> int:
        n = len(self.planned)
        if i == 0 or i == n - 1:
            return 1
        if self.solver_order == 3 and (i == 1 or (i == n - 2 and n < 15)):
            return 2
        return self.solver_order

    def adds_noise(self, i: int) -> bool:
        return self.sde and i < len(self.planned) - 1  # the last step goes to sigma 0: no noise

    def level(self, timestep: float, name: str) -> str:
        abar = f"(SELECT alpha_bar FROM {SCHEDULE} WHERE t = {int(timestep)})"
        sigma = f"(SELECT sigma FROM {SIGMAS} WHERE t = {int(timestep)})" if self.karras else \
            f"sqrt((1 - {abar}) / {abar})"
        alpha = f"(1 / sqrt({sigma} * {sigma} + 1))"
        return f"{alpha} AS a_{name}, {sigma} * {alpha} AS s_{name}"

    def start_sql(self) -> str:
        return f"SELECT a_t AS sa, s_t AS sb FROM (SELECT {self.level(self.planned[0], 't')}) AS a"

    def coefficients_sql(self, i: int) -> str:
        ts = self.planned
        last = i == len(ts) - 1
        if last:  # to sigma 0: the step's x0 itself
            return (f"SELECT a_t AS sa, s_t AS sb, 1.0 AS p, 0.0 AS q, 0.0 AS r, 0.0 AS sigma, 0.0 AS u1, 0.0 AS u2\n"
                    f"FROM (SELECT {self.level(ts[i], 't')}) AS a")
        order = self.order_at(i)
        names = ["t", "p", "b", "c"][:order + 1]
        points = [ts[i], ts[i + 1], *(ts[i - k] for k in range(1, order))]
        levels = ", ".join(self.level(t, n) for t, n in zip(points, names))
        h = f"({lam('p')} - {lam('t')})"
        if self.sde:
            q, weight = f"s_p / s_t * exp(-{h})", f"a_p * (1 - exp(-2 * {h}))"  # x0's weight, positive
            sigma = f"s_p * sqrt(1 - exp(-2 * {h}))"
        else:
            q, weight = "s_p / s_t", f"(-a_p * (exp(-{h}) - 1))"
            sigma = "0.0"
        p, u1, u2 = weight, "0.0", "0.0"
        if order == 2:
            r0 = f"(({lam('t')} - {lam('b')}) / {h})"
            p, u1 = f"{weight} * (1 + 0.5 / {r0})", f"-0.5 * {weight} / {r0}"
        elif order == 3:
            p, u1, u2 = third_order(h)
        return (f"SELECT a_t AS sa, s_t AS sb, {p} AS p, {q} AS q, 0.0 AS r, {sigma} AS sigma, "
                f"{u1} AS u1, {u2} AS u2\nFROM (SELECT {levels}) AS a")

    def step(self, engine, i, eps, noise, channels, predict=False) -> None:
        kept = HISTORY[:self.order_at(i) - 1]
        engine.create(COEFFICIENTS, self.coefficients_sql(i))
        eps = as_epsilon(engine, self.schedule, eps, channels)
        predict_x0(engine, eps, channels, f"SELECT sa, sb FROM {COEFFICIENTS}")
        replace_sample(engine, sampler_step(engine.dialect, SAMPLE, eps, noise, COEFFICIENTS, None, channels,
                                                            history=kept))
        engine.drop(COEFFICIENTS, HISTORY[1], *([EPSILON] if eps == EPSILON else []))
        if i >= 1 and self.solver_order == 3:  # x0 of two steps before is kept too
            engine.rename(HISTORY[0], HISTORY[1])
        else:
            engine.drop(HISTORY[0])
        engine.rename(PREDICTION, HISTORY[0])
        if predict:  # the caller reads (and drops) this step's x0 as PREDICTION
            engine.create(PREDICTION, f"SELECT * FROM {HISTORY[0]}")


def third_order(h: str) -> tuple[str, str, str]:
    """p, u1, u2 of DPM-Solver++ 3M (x0 now, one step and two steps before): diffusers'
    x = q x - A m0 + B D1 - C D2 with A = alpha (e^-h - 1), B = alpha ((e^-h - 1) / h + 1),
    C = alpha ((e^-h - 1 + h) / h^2 - 1/2), D1_0 = (m0 - m1) / r0, D1_1 = (m1 - m2) / r1,
    D1 = D1_0 + g (D1_0 - D1_1), D2 = (D1_0 - D1_1) / (r0 + r1), g = r0 / (r0 + r1), regrouped
    by m0, m1, m2 as K0 = B (1 + g) - C / (r0 + r1) and K1 = C / (r0 + r1) - B g weigh D1_0, D1_1."""
    e = f"(exp(-{h}) - 1)"
    a, b, c = f"(a_p * {e})", f"(a_p * ({e} / {h} + 1))", f"(a_p * (({e} + {h}) / ({h} * {h}) - 0.5))"
    r0, r1 = f"(({lam('t')} - {lam('b')}) / {h})", f"(({lam('b')} - {lam('c')}) / {h})"
    g, s = f"({r0} / ({r0} + {r1}))", f"({r0} + {r1})"
    k0, k1 = f"({b} * (1 + {g}) - {c} / {s})", f"({c} / {s} - {b} * {g})"
    return f"-{a} + {k0} / {r0}", f"-{k0} / {r0} + {k1} / {r1}", f"-{k1} / {r1}"


class DPMSolverMultistepScheduler(MultistepScheduler):
    """DPM-Solver++ of order 2 or 3 (`solver_order`), or stochastic (`algorithm_type`
    "sde-dpmsolver++", order 2)."""

    algorithm = {"solver_order": 2, "algorithm_type": "dpmsolver++"}
    fixed = {"solver_type": "midpoint", "lower_order_final": True, "euler_at_final": False, "use_lu_lambdas": False}
    ALGORITHMS = {("dpmsolver++", 2), ("dpmsolver++", 3), ("sde-dpmsolver++", 2)}

    def check_options(self) -> None:
        if (self.algorithm_type, self.solver_order) not in self.ALGORITHMS:
            raise SQLDiffusionError(f"DPMSolverMultistepScheduler with algorithm_type {shown(self.algorithm_type)} and "
                                    f"solver_order {shown(self.solver_order)} "
                                    "is not offered; take dpmsolver++ of order "
                                    "2 or 3, or sde-dpmsolver++ of order 2")
        self.sde = self.algorithm_type == "sde-dpmsolver++"
        self.deterministic_sibling = "dpmpp-2m" if self.sde else None
        super().check_options()


class UniPCMultistepScheduler(MultistepScheduler):
    """UniPC (diffusers' UniPCMultistepScheduler: bh2, predicting x0, order 2, corrector at every
    step): before each predictor step, the sample the model has just seen is corrected (UniC)
    from the step before's corrected sample, the x0 of the last two steps and the x0 now; then
    UniP steps on from it like DPM-Solver++ 2M. The plan is DPM-Solver's.

    With h = lambda_next - lambda_now, hh = -h, phi = e^hh - 1 and B = e^hh - 1 (bh2): the
    predictor x' = (s'/s) x - a' phi m0 - a' B rho D1 (rho = 1/2, D1 = (m1 - m0) / r); the
    corrector x_c = (s/s1) x1 - a phi m1 - a B (rho0 D1 + rho1 (m0 - m1)), its rhos solving
    [[1, 1], [r, 1]] rho = b with b_k = k! h_phi_k / B (h_phi_1 = phi / hh - 1,
    h_phi_(k+1) = h_phi_k / hh - 1 / (k+1)!), or rho1 = 1/2 at first order."""

    fixed = {"solver_order": 2, "solver_type": "bh2", "predict_x0": True, "lower_order_final": True,
             "disable_corrector": []}

    def order_at(self, i: int) -> int:
        return min(2, len(self.planned) - i, i + 1)  # lower_order_final and the warm-up

    def step(self, engine, i, eps, noise, channels, predict=False) -> None:
        engine.create(COEFFICIENTS, self.coefficients_sql(i))
        eps = as_epsilon(engine, self.schedule, eps, channels)
        predict_x0(engine, eps, channels, f"SELECT sa, sb FROM {COEFFICIENTS}")
        if i > 0:  # UniC: the corrected sample, from the last one, x0 before (two orders) and x0 now
            relations = [CORRECTED, HISTORY[0], PREDICTION] + ([HISTORY[1]] if self.order_at(i - 1) == 2 else [])
            engine.create(CORRECTING, self.corrector_sql(i))
            formula = lambda last, m1, m0, *m2: (f"c.cl * {last} + c.c1 * {m1} + c.c0 * {m0}"  # noqa: E731
                                                 + (f" + c.c2 * {m2[0]}" if m2 else ""))
            engine.create(NEXT, engine.dialect.pixelwise(channels, formula, relations, CORRECTING))
            engine.drop(CORRECTING)
            engine.rename(NEXT, CORRECTED)
        else:
            engine.rename(SAMPLE, CORRECTED)
        relations = [CORRECTED, PREDICTION] + ([HISTORY[0]] if self.order_at(i) == 2 else [])
        formula = lambda x, m0, *m1: f"c.q * {x} + c.p * {m0}" + (f" + c.u1 * {m1[0]}" if m1 else "")  # noqa: E731
        replace_sample(engine, engine.dialect.pixelwise(channels, formula, relations, COEFFICIENTS))
        engine.drop(COEFFICIENTS, HISTORY[1], *([EPSILON] if eps == EPSILON else []))
        if i >= 1:
            engine.rename(HISTORY[0], HISTORY[1])
        engine.rename(PREDICTION, HISTORY[0])
        if predict:
            engine.create(PREDICTION, f"SELECT * FROM {HISTORY[0]}")

    def coefficients_sql(self, i: int) -> str:
        """The predictor's one row: sa, sb (x0 of the pass), q (corrected x), p (x0 now), u1 (x0 before)."""
        ts = self.planned
        if i == len(ts) - 1:  # to sigma 0: x0 itself
            return (f"SELECT a_t AS sa, s_t AS sb, 0.0 AS q, 1.0 AS p, 0.0 AS u1\n"
                    f"FROM (SELECT {self.level(ts[i], 't')}) AS a")
        names, points = ["t", "p"], [ts[i], ts[i + 1]]
        if self.order_at(i) == 2:
            names, points = names + ["b"], points + [ts[i - 1]]
        levels = ", ".join(self.level(t, n) for t, n in zip(points, names))
        h = f"({lam('p')} - {lam('t')})"
        phi = f"(exp(-{h}) - 1)"
        p, u1 = f"-a_p * {phi}", "0.0"
        if self.order_at(i) == 2:
            r = f"(({lam('b')} - {lam('t')}) / {h})"
            p, u1 = f"-a_p * {phi} + 0.5 * a_p * {phi} / {r}", f"-0.5 * a_p * {phi} / {r}"
        return (f"SELECT a_t AS sa, s_t AS sb, s_p / s_t AS q, {p} AS p, {u1} AS u1\n"
                f"FROM (SELECT {levels}) AS a")

    def corrector_sql(self, i: int) -> str:
        """UniC's one row at step i: cl (the last corrected sample, at step i - 1), c1 (x0 of step
        i - 1), c0 (x0 now), c2 (x0 of step i - 2, at second order)."""
        ts, order = self.planned, self.order_at(i - 1)
        names, points = ["t", "s"], [ts[i], ts[i - 1]]
        if order == 2:
            names, points = names + ["b"], points + [ts[i - 2]]
        levels = ", ".join(self.level(t, n) for t, n in zip(points, names))
        h = f"({lam('t')} - {lam('s')})"
        hh, phi = f"(-{h})", f"(exp(-{h}) - 1)"
        b1 = f"(({phi} / {hh} - 1) / {phi})"
        if order == 1:
            rho0, rho1, r = "0.0", "0.5", "1.0"
        else:
            b2 = f"(2 * (({phi} / {hh} - 1) / {hh} - 0.5) / {phi})"
            r = f"(({lam('b')} - {lam('s')}) / {h})"
            rho0 = f"(({b1} - {b2}) / (1 - {r}))"
            rho1 = f"({b1} - {rho0})"
        return (f"SELECT s_t / s_s AS cl, -a_t * {phi} + a_t * {phi} * {rho1} + a_t * {phi} * {rho0} / {r} AS c1, "
                f"-a_t * {phi} * {rho1} AS c0, -a_t * {phi} * {rho0} / {r} AS c2\nFROM (SELECT {levels}) AS a")

