"""PostgreSQL: pure SQL, no extensions, no procedural language. One column per channel.

Measured (DESIGN.md): in PostgreSQL a sum of products written out column by column is 5-10x faster
than dot products over arrays (`unnest`) and 15x faster than one row per scalar. So an activation is
one row per pixel with one REAL column per channel, `(b, y, x, c0, c1, ...)`, and a weight table
has one row per output channel (per kernel tap for 3x3 convolutions) with one column per input
channel, `(o, [ky, kx,] w0, w1, ..., bias)`. A matrix product joins every pixel with every weight
row, evaluates the written-out sum, and pivots the per-(pixel, output) scalars back into columns.

PostgreSQL raises errors where other engines return inf or 0 (exp overflow and underflow), so
sigmoids are written with tanh and softmax exponents are bounded below.
"""

from __future__ import annotations

import math

from ...graph.ops import Node
from .base import Dialect
from ..render import SAMPLE

MAX_COLUMNS = 1600  # PostgreSQL's limit per table


def cols(n: int, prefix: str = "c", alias: str = "") -> list[str]:
    return [f"{alias}{prefix}{i}" for i in range(n)]


def _silu(z: str) -> str:
    # z * sigmoid(z) = z * (1 + tanh(z / 2)) / 2: no exp overflow for very negative z
    return f"(({z}) * (0.5 + 0.5 * tanh(({z}) / 2)))::REAL"


CHUNK = 640  # input channels per join: both sides' columns must fit in one 1,664-column row


def _dots(cin: int, param: str) -> list[tuple[str, str]]:
    """Per block of CHUNK input channels: the weight rows of that block, and the written-out dot
    product of a pixel's channels with a row (REAL times DOUBLE: one exact float48mul per term)."""
    return [(f"(SELECT * FROM {param} WHERE k = {k})",
             " + ".join(f"a.c{lo + i} * w.w{i}" for i in range(min(CHUNK, cin - lo))))
            for k, lo in enumerate(range(0, cin, CHUNK))]


def _union(parts: list[str]) -> str:
    """The parts one after another, behind an optimisation fence (OFFSET 0): the planner must take
    the dot products before it groups, or it sorts the full-width joined rows (measured: 3x slower)."""
    return "\nUNION ALL\n".join(parts) + "\nOFFSET 0"


class PostgresDialect(Dialect):
    name = "postgres"

    @staticmethod
    def keys(node_or_relation, alias: str = "") -> str:
        image = len(node_or_relation.shape) == 3
        return ", ".join(f"{alias}{k}" for k in (("b", "y", "x") if image else ("b",)))

    @staticmethod
    def timesteps(timesteps) -> str:
        """The TIMESTEPS relation (b, t): one timestep per batch item."""
        values = ", ".join(repr(float(t)) for t in timesteps)
        return (f"SELECT (i - 1)::INTEGER AS b, t FROM unnest(ARRAY[{values}]::float8[]) "
                "WITH ORDINALITY AS u(t, i)")

    # ---- primitives ------------------------------------------------------------------------
    def sample(self, node, inputs, param):
        c = node.channels
        return f"SELECT b, y, x, {', '.join(f'(2 * c{i} - 1)::REAL AS c{i}' for i in range(c))} FROM {SAMPLE}"

    def time_proj(self, node, inputs, param):
        half, shift = node.channels // 2, node.attrs["freq_shift"]
        first, second = ("cos", "sin") if node.attrs["flip_sin_to_cos"] else ("sin", "cos")

        def value(k: int) -> str:
            fn, i = (first, k) if k < half else (second, k - half)
            freq = f"exp(({-math.log(10000.0)!r}::REAL * {i}::REAL) / {half - shift}::REAL)::REAL"
            return f"{fn}(t::REAL * {freq})::REAL AS c{k}"

        return f"SELECT b, {', '.join(value(k) for k in range(2 * half))} FROM {inputs[0]}"

    def dense(self, node, inputs, param):
        src = inputs[0]
        cin = src.shape[0]
        keys = self.keys(src, "a.")
        parts = [f"SELECT {keys}, w.o, w.bias, {dot} AS part FROM {src} a CROSS JOIN {rows} w"
                 for rows, dot in _dots(cin, param)]
        names = self.keys(src)
        scalars = (f"SELECT {names}, o, (sum(part) + min(bias))::REAL AS v FROM (\n{_union(parts)}\n) AS d "
                   f"GROUP BY {names}, o")
        return self._epilogue(node, self._pivot(node, scalars), inputs)

    def conv3x3(self, node, inputs, param):
        src, (cin, h, w) = inputs[0].name, inputs[0].shape
        if node.attrs["upsample"]:  # nearest 2x first: each pixel becomes a 2x2 block
            h, w = 2 * h, 2 * w
            src = (f"(SELECT s.b, 2 * s.y + u.dy AS y, 2 * s.x + u.dx AS x, {', '.join(cols(cin, alias='s.'))} "
                   f"FROM {src} s CROSS JOIN (VALUES (0, 0), (0, 1), (1, 0), (1, 1)) AS u(dy, dx))")
        stride, pad = node.attrs["stride"], node.attrs["pad"]
        _, oh, ow = node.shape
        # input pixel (y, x) reaches output (oy, ox) through tap (ky, kx) when y = stride * oy + ky - pad
        oy, ox = f"(a.y - w.ky + {pad})", f"(a.x - w.kx + {pad})"
        where = [f"{oy} >= 0", f"{ox} >= 0", f"{oy} < {stride * oh}", f"{ox} < {stride * ow}"]
        if stride > 1:
            where += [f"{oy} % {stride} = 0", f"{ox} % {stride} = 0"]
        parts = [f"SELECT a.b, {oy} / {stride} AS y, {ox} / {stride} AS x, w.o, w.bias, {dot} AS part\n"
                 f"FROM {src} a CROSS JOIN {rows} w\nWHERE {' AND '.join(where)}" for rows, dot in _dots(cin, param)]
        scalars = (f"SELECT b, y, x, o, (sum(part) + min(bias))::REAL AS v FROM (\n{_union(parts)}\n) AS d "
                   f"GROUP BY b, y, x, o")
        return self._epilogue(node, self._pivot(node, scalars), inputs)

    def group_norm(self, node, inputs, param):
        src, c = inputs[0], node.channels
        groups = node.attrs["groups"]
        size = c // groups
        members = [range(g * size, (g + 1) * size) for g in range(groups)]
        means = ", ".join(f"avg({' + '.join(f'c{i}::float8' for i in m)}) / {size} AS m{g}"
                          for g, m in enumerate(members))
        variances = ", ".join(f"avg({' + '.join(f'(x.c{i} - m.m{g}) ^ 2' for i in m)}) / {size} AS v{g}"
                              for g, m in enumerate(members))
        out = []
        for i in range(c):
            g = i // size
            z = f"(x.c{i} - s.m{g}) * s.r{g} * ga.v[{i + 1}] + be.v[{i + 1}]"
            value = _silu(z) if node.attrs["silu"] else f"({z})::REAL"
            out.append(f"{value} AS c{i}")
        weights = ", ".join(cols(c, "w"))  # as arrays: gamma and beta side by side exceed the column limit
        rstd = ", ".join(f"m.m{g}, 1 / sqrt(v.v{g} + {node.attrs['eps']!r}) AS r{g}" for g in range(groups))
        # MATERIALIZED everywhere: inlined, each of the C output expressions would carry a copy of the
        # statistics' and parameters' expressions, and planning grows with C squared (1 GB at C = 1024)
        return (f"WITH m AS MATERIALIZED (SELECT b, {means} FROM {src} GROUP BY b),\n"
                f"v AS MATERIALIZED (SELECT x.b, {variances} FROM {src} x JOIN m ON m.b = x.b GROUP BY x.b),\n"
                f"s AS MATERIALIZED (SELECT m.b, {rstd} FROM m JOIN v ON v.b = m.b),\n"
                f"ga AS MATERIALIZED (SELECT ARRAY[{weights}]::float8[] AS v FROM {param} WHERE o = 0),\n"
                f"be AS MATERIALIZED (SELECT ARRAY[{weights}]::float8[] AS v FROM {param} WHERE o = 1)\n"
                f"SELECT x.b, x.y, x.x, {', '.join(out)}\n"
                f"FROM {src} x JOIN s ON s.b = x.b CROSS JOIN ga CROSS JOIN be")

    def silu(self, node, inputs, param):
        src = inputs[0]
        values = ", ".join(_silu(f"c{i}") + f" AS c{i}" for i in range(node.channels))
        return f"SELECT {self.keys(src)}, {values} FROM {src}"

    def concat(self, node, inputs, param):
        c1 = inputs[0].shape[0]
        left = ", ".join(f"h.c{i}" for i in range(c1))
        right = ", ".join(f"s.c{i} AS c{c1 + i}" for i in range(inputs[1].shape[0]))
        return (f"SELECT h.b, h.y, h.x, {left}, {right}\n"
                f"FROM {inputs[0]} h JOIN {inputs[1]} s ON s.b = h.b AND s.y = h.y AND s.x = h.x")

    def attention(self, node, inputs, param):
        c, h, w = node.shape
        heads = node.attrs["heads"]
        d = c // heads
        scale = 1.0 / math.sqrt(d)
        src = inputs[0]
        scores = ", ".join(
            f"(({' + '.join(f'q.c{hd * d + k}::float8 * k.c{c + hd * d + k}' for k in range(d))}) * {scale!r}::REAL)::REAL AS s{hd}"
            for hd in range(heads))
        maxes = ", ".join(f"max(s{hd}) OVER win AS m{hd}" for hd in range(heads))
        exps = ", ".join(f"exp(greatest(s{hd} - m{hd}, -700)) AS e{hd}" for hd in range(heads))
        probs = ", ".join(f"(e{hd} / sum(e{hd}) OVER win)::REAL AS p{hd}" for hd in range(heads))
        outs = ", ".join(f"sum(p.p{i // d}::float8 * v.c{2 * c + i})::REAL AS c{i}" for i in range(c))
        return (f"WITH sc AS MATERIALIZED (SELECT q.b, q.y, q.x, k.y AS ky, k.x AS kx, {scores}\n"
                f"            FROM {src} q JOIN {src} k ON k.b = q.b),\n"
                f"ex AS MATERIALIZED (SELECT b, y, x, ky, kx, {exps} FROM (SELECT *, {maxes} FROM sc WINDOW win AS (PARTITION BY b, y, x)) t),\n"
                f"p AS MATERIALIZED (SELECT b, y, x, ky, kx, {probs} FROM ex WINDOW win AS (PARTITION BY b, y, x))\n"
                f"SELECT p.b, p.y, p.x, {outs}\n"
                f"FROM p JOIN {src} v ON v.b = p.b AND v.y = p.ky AND v.x = p.kx\n"
                f"GROUP BY p.b, p.y, p.x")

    # ---- the sampler -----------------------------------------------------------------------
    def sampler_step(self, sample: str, eps: str, noise: str | None, coefficients: str, clip: float | None,
                     channels: int) -> str:
        out = []
        for i in range(channels):
            x0 = f"(s.c{i} - c.sb * e.c{i}) / c.sa"
            if clip is not None:
                x0 = f"greatest({-clip!r}, least({clip!r}, {x0}))"
            noise_term = "" if noise is None else f" + c.sigma * n.c{i}"
            out.append(f"(c.p * {x0} + c.q * s.c{i} + c.r * e.c{i}{noise_term})::REAL AS c{i}")
        noise_join = "" if noise is None else f"\nJOIN {noise} n ON n.b = s.b AND n.y = s.y AND n.x = s.x"
        return (f"SELECT s.b, s.y, s.x, {', '.join(out)}\n"
                f"FROM {sample} s JOIN {eps} e ON e.b = s.b AND e.y = s.y AND e.x = s.x{noise_join}\n"
                f"CROSS JOIN {coefficients} c")

    def gaussian_noise(self, shape: tuple[int, int, int, int], seed: int, stream: int) -> str:
        """Standard normal noise (B, C, H, W): each element's counter hashed with the seed by
        PostgreSQL's built-in 64-bit hash; its two 32-bit halves are the uniforms of Box-Muller."""
        b, c, h, w = shape

        def normal(ch: int) -> str:
            counter = f"(({int(stream) * b} + bb) * {h * w} + yy * {w} + xx)::BIGINT * {c} + {ch}"
            bits = f"hashint8extended({counter}, {int(seed)})"
            u1 = f"((({bits} >> 32) + 2147483649)::float8 / 4294967296.0)"  # (0, 1]
            u2 = f"(({bits} & 4294967295)::float8 / 4294967296.0)"  # [0, 1)
            return f"(sqrt(-2 * ln({u1})) * cos(2 * pi() * {u2}))::REAL AS c{ch}"

        return (f"SELECT bb AS b, yy AS y, xx AS x, {', '.join(normal(ch) for ch in range(c))}\n"
                f"FROM generate_series(0, {b - 1}) AS r1(bb), generate_series(0, {h - 1}) AS r2(yy), "
                f"generate_series(0, {w - 1}) AS r3(xx)")

    # ---- the picture -----------------------------------------------------------------------
    def ascii_picture(self, sample: str, shape: tuple[int, int, int, int], columns: int) -> str:
        """The ASCII picture of every image, as `pictures.ascii_art` draws it: one row per text line,
        a blank line between images. Columns: (line TEXT)."""
        from ...pictures import RAMP, ascii_rows

        b, c, h, w = shape
        rows = ascii_rows(h, w, columns)
        byte = lambda v: f"floor(least(greatest({v} / 2::real + 0.5::real, 0::real), 1::real) * 255::real + 0.5::real)"  # noqa: E731
        if c == 3:
            grey = f"({byte('c0')} + {byte('c1')} + {byte('c2')}) / 3.0"
        else:
            mean = f"(({' + '.join(f'least(greatest(c{i} / 2::real + 0.5::real, 0::real), 1::real)' for i in range(c))}) / {c}::real)"
            grey = f"floor({mean} * 255::real + 0.5::real)::float8" if c > 1 else byte("c0")
        ramp = RAMP.replace("'", "''")
        span = lambda i, size, cells: (f"({i} * {size}) / {cells}",  # noqa: E731
                                       f"greatest(({i} * {size}) / {cells} + 1, (({i} + 1) * {size}) / {cells})")
        (ry0, ry1), (cx0, cx1) = span("r", h, rows), span("k", w, columns)
        return (f"WITH px AS (SELECT b, y, x, {grey} AS g FROM {sample}),\n"
                f"cells AS (\n"
                f"  SELECT px.b, r, k, avg(px.g) / 255 AS grey\n"
                f"  FROM generate_series(0, {rows - 1}) AS gr(r), generate_series(0, {columns - 1}) AS gk(k),\n"
                f"       generate_series({ry0}, {ry1} - 1) AS yy(y), generate_series({cx0}, {cx1} - 1) AS xx(x),\n"
                f"       px WHERE px.y = yy.y AND px.x = xx.x\n"
                f"  GROUP BY px.b, r, k),\n"
                f"lines AS (\n"
                f"  SELECT b, r, string_agg(substr('{ramp}', floor((1 - grey) * {len(RAMP) - 1} + 0.5)::int + 1, 1), '' ORDER BY k) AS line\n"
                f"  FROM cells GROUP BY b, r\n"
                f"  UNION ALL SELECT b, {rows}, '' FROM generate_series(0, {b - 2}) AS gb(b))\n"
                f"SELECT line FROM lines ORDER BY b, r")

    # ---- helpers ---------------------------------------------------------------------------
    def _pivot(self, node: Node, scalars: str) -> str:
        """(keys, o, v) scalars -> one row per key with one column per output channel."""
        keys = "b, y, x" if node.is_image else "b"
        picks = ", ".join(f"v[{i + 1}] AS c{i}" for i in range(node.channels))
        return (f"SELECT {keys}, {picks} FROM (\n"
                f"  SELECT {keys}, array_agg(v ORDER BY o) AS v FROM (\n{scalars}\n  ) AS sc GROUP BY {keys}) AS pv")

    def _epilogue(self, node: Node, core: str, inputs: list) -> str:
        if len(inputs) < 2:
            return core
        keys = "c.b, c.y, c.x" if node.is_image else "c.b"
        on = "e.b = c.b" + (" AND e.y = c.y AND e.x = c.x" if inputs[1].is_image else "")
        scale = float(node.attrs.get("scale", 1.0))
        div = "" if scale == 1.0 else f" / {scale!r}::REAL"
        out = ", ".join(f"((c.c{i} + e.c{i}){div})::REAL AS c{i}" for i in range(node.channels))
        return f"SELECT {keys}, {out}\nFROM (\n{core}\n) AS c JOIN {inputs[1]} e ON {on}"
