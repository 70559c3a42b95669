"""The SQL of the samplers' steps that every dialect writes the same way, through its channel
vocabulary (`Dialect.map_channels`, `same_key`, `keys`): one update of the sample, a clean picture
noised to a level, and two noises interpolated on the sphere. A dialect that must write one
otherwise would override the vocabulary beneath it, not these."""

from __future__ import annotations

from collections.abc import Sequence


def sampler_step(dialect, sample: str, eps: str, noise: str | None, coefficients: str, clip: float | None,
                 channels: int, known: tuple[str, str] | None = None, history: Sequence[str] = ()) -> str:
    """x_prev per pixel and channel from x_t, the predicted noise, the step's coefficients
    (one row: sa, sb, p, q, r, sigma; alphas.coefficients_sql) and, when the step adds it, noise:
    x0 = clip((x - sb * eps) / sa); x_prev = p * x0 + q * x + r * eps + sigma * noise.

    `history` (multistep solvers): the relations of earlier steps' x0, the k-th added as
    uk * x0_k (the coefficients then hold u1, u2, ...). `known` (inpainting): relations holding the picture and a mask
    (1: keep the picture's pixel, 0: fill it in); the result is
    mask * (ka * picture + kb * noise) + (1 - mask) * x_prev."""
    def step(x: str, e: str, *rest: str) -> str:
        rest = list(rest)
        z = rest.pop(0) if noise is not None else None
        before = [rest.pop(0) for _ in history]
        x0 = f"({x} - c.sb * {e}) / c.sa"
        if clip is not None:
            x0 = f"greatest({dialect.number(-clip)}, least({dialect.number(clip)}, {x0}))"
        new = f"c.p * {x0} + c.q * {x} + c.r * {e}" + ("" if z is None else f" + c.sigma * {z}")
        for k, earlier in enumerate(before, 1):
            new += f" + c.u{k} * {earlier}"
        if not rest:
            return new
        o, m = rest
        return f"{m} * (c.ka * {o} + c.kb * {z}) + (1 - {m}) * ({new})"

    others = ["e"] if noise is None else ["e", "n"]
    joins = f"JOIN {eps} e ON {dialect.same_key('s', 'e', True)}"
    if noise is not None:
        joins += f"\nJOIN {noise} n ON {dialect.same_key('s', 'n', True)}"
    for k, relation in enumerate(history, 1):
        others.append(f"h{k}")
        joins += f"\nJOIN {relation} h{k} ON {dialect.same_key('s', f'h{k}', True)}"
    if known is not None:
        others += ["o", "m"]
        joins += (f"\nJOIN {known[0]} o ON {dialect.same_key('s', 'o', True)}"
                  f"\nJOIN {known[1]} m ON {dialect.same_key('s', 'm', True)}")
    return (f"SELECT {dialect.keys('s', True)}, {dialect.map_channels(channels, step, 's', others, cast=True)}\n"
            f"FROM {sample} s {joins}\nCROSS JOIN {coefficients} c")


def noised(dialect, image: str, noise: str, coefficients: str, channels: int) -> str:
    """A clean picture noised to a timestep: sa * x0 + sb * eps, per pixel and channel (the
    coefficients: one row, sa and sb)."""
    return (f"SELECT {dialect.keys('x', True)}, "
            f"{dialect.map_channels(channels, lambda x, n: f'c.sa * {x} + c.sb * {n}', 'x', ['n'], cast=True)}\n"
            f"FROM {image} x JOIN {noise} n ON {dialect.same_key('x', 'n', True)}\nCROSS JOIN {coefficients} c")


def slerp(dialect, first: str, second: str, frames: int, channels: int) -> str:
    """`frames` images on the great circle from the image in `first` to the one in `second`
    (batch 1 each; frame f at f / (frames - 1) of the angle between them, treated as vectors of
    all their pixels and channels): spherical interpolation of two starting noises."""
    last = max(frames - 1, 1)
    fraction = f"({dialect.cast('f', dialect.double)} / {last})"
    def mix(x: str, y: str) -> str:
        return f"w.ca * {x} + w.cb * {y}"

    return (f"WITH s AS (SELECT sum({dialect.dot_channels(channels, 'za', 'zb')}) AS ab, "
            f"sum({dialect.dot_channels(channels, 'za', 'za')}) AS aa, "
            f"sum({dialect.dot_channels(channels, 'zb', 'zb')}) AS bb\n"
            f"  FROM {first} za JOIN {second} zb ON {dialect.same_key('za', 'zb', True)}),\n"
            f"a AS (SELECT acos(greatest(-1.0, least(1.0, ab / sqrt(aa * bb)))) AS theta FROM s),\n"
            f"w AS (SELECT f, CASE WHEN theta < 1e-6 THEN 1 - {fraction} "
            f"ELSE sin((1 - {fraction}) * theta) / sin(theta) END AS ca,\n"
            f"             CASE WHEN theta < 1e-6 THEN {fraction} ELSE sin({fraction} * theta) / sin(theta) END AS cb\n"
            f"      FROM a, {dialect.series(frames, 'f')})\n"
            f"SELECT {dialect.cast('w.f', 'INTEGER')} AS b, za.y, za.x, "
            f"{dialect.map_channels(channels, mix, 'za', ['zb'], cast=True)}\n"
            f"FROM {first} za JOIN {second} zb ON {dialect.same_key('za', 'zb', True)} CROSS JOIN w")
