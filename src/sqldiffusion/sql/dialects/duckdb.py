"""DuckDB: activations as one row per pixel holding the channel vector as a FLOAT[] list.

Measured (DESIGN.md and our own runs): one row per pixel with `list_dot_product` against the rows of
the weight matrix, all output channels of a pixel in one `list_transform`, beats row-per-scalar joins
by 20x and needs no GROUP BY to repack channels. Convolutions gather the 3x3 neighbourhood into one
list per pixel (im2col) and take one dot product per output channel; the bias rides in the dot
product as a last column against an appended 1.0.
"""

from __future__ import annotations

import math

from ...graph.ops import Node
from .base import Dialect
from ..render import SAMPLE

_ONE = "[1.0::FLOAT]"


class DuckDBDialect(Dialect):
    name = "duckdb"
    parts = 2  # output-channel blocks per big matrix product: one per thread

    @staticmethod
    def timesteps(timesteps) -> str:
        """The TIMESTEPS relation (b, t): one timestep per batch item."""
        values = ", ".join(repr(float(t)) for t in timesteps)
        return f"SELECT (i - 1)::INTEGER AS b, t[i] AS t FROM (SELECT [{values}]::DOUBLE[] AS t), range(1, len(t) + 1) r(i)"

    # ---- primitives ------------------------------------------------------------------------
    def sample(self, node, inputs, param):
        # center_input_sample: 2 * x - 1
        return f"SELECT b, y, x, list_transform(v, lambda a: 2::FLOAT * a - 1::FLOAT) AS v FROM {SAMPLE}"

    def time_proj(self, node, inputs, param):
        # diffusers get_timestep_embedding, rounded to float32 where torch rounds:
        # freq_i = exp(-ln(10000) * i / (half - shift)); arg_i = t * freq_i; then [sin, cos] or [cos, sin]
        half, shift = node.channels // 2, node.attrs["freq_shift"]
        first, second = ("cos", "sin") if node.attrs["flip_sin_to_cos"] else ("sin", "cos")

        def arg(i: str) -> str:
            freq = f"exp(({-math.log(10000.0)!r}::FLOAT * ({i})::FLOAT) / {half - shift}::FLOAT)::FLOAT"
            return f"(t::FLOAT * {freq})"

        return (f"SELECT b, list_transform(range({2 * half}), lambda k: CASE WHEN k < {half} "
                f"THEN {first}({arg('k')}) ELSE {second}({arg(f'k - {half}')}) END::FLOAT) AS v\n"
                f"FROM {inputs[0]}")

    def dense(self, node, inputs, param):
        keys = "b, y, x" if node.is_image else "b"
        rows = f"SELECT {keys}, v || {_ONE} AS v FROM {inputs[0]}"
        return self._epilogue(node, self._matmul(node, rows, keys, param), inputs)

    def conv3x3(self, node, inputs, param):
        cin, h, w = inputs[0].shape
        src = inputs[0].name
        if node.attrs["upsample"]:  # nearest 2x first: each pixel becomes a 2x2 block
            h, w = 2 * h, 2 * w
            src = (f"(SELECT b, 2 * y + u.dy AS y, 2 * x + u.dx AS x, v FROM {src}, "
                   f"(VALUES (0, 0), (0, 1), (1, 0), (1, 1)) u(dy, dx))")
        rows = self._im2col(src, cin, h, w)
        if node.attrs["stride"] == 2:
            # output pixel (oy, ox) is centred on input (2oy, 2ox) with padding 1, on (2oy+1, 2ox+1)
            # with diffusers' asymmetric (0, 1, 0, 1) padding; out-of-range neighbours are zeros
            centre = 1 - node.attrs["pad"]
            rows = (f"SELECT b, y // 2 AS y, x // 2 AS x, v FROM ({rows}) "
                    f"WHERE y % 2 = {centre} AND x % 2 = {centre}")
        return self._epilogue(node, self._matmul(node, rows, "b, y, x", param), inputs)

    @staticmethod
    def _im2col(src: str, channels: int, h: int, w: int) -> str:
        """Each pixel's 3x3 neighbourhood as one list (ky, kx, channel), zeros outside, then 1.0.

        Rows are in (y, x) order per batch item, so neighbours are lag/lead by w*dy + dx: twice as
        fast as joining the image with itself 9 times.
        """
        zeros = f"[0::FLOAT for _ in range({channels})]"
        cells = []
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                offset = dy * w + dx
                cell = "v" if offset == 0 else f"{'lag' if offset < 0 else 'lead'}(v, {abs(offset)}) OVER win"
                edges = [e for e, on in (("y > 0", dy < 0), (f"y < {h - 1}", dy > 0),
                                         ("x > 0", dx < 0), (f"x < {w - 1}", dx > 0)) if on]
                cells.append(f"CASE WHEN {' AND '.join(edges)} THEN {cell} ELSE {zeros} END" if edges else cell)
        return (f"SELECT b, y, x, flatten([{', '.join(cells)}]) || {_ONE} AS v\n"
                f"  FROM {src} WINDOW win AS (PARTITION BY b ORDER BY y, x)")

    def group_norm(self, node, inputs, param):
        c = node.channels
        size = c // node.attrs["groups"]
        grp = f"(k - 1) // {size} + 1"
        # per (batch item, group): mean and 1/sqrt(var + eps) over its pixels and channels (population
        # variance, as torch), folded with gamma and beta into one scale and shift per channel
        out = "list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k])"
        if node.attrs["silu"]:
            out = f"list_transform({out}, lambda z: {_SILU})"
        return (
            f"WITH p AS (SELECT (SELECT w FROM {param} WHERE o = 0) AS gamma, (SELECT w FROM {param} WHERE o = 1) AS beta),\n"
            f"st AS (\n"
            f"  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd\n"
            f"  FROM (SELECT b, (k - 1) // {size} AS grp, avg(a) AS mean, 1 / sqrt(var_pop(a) + {node.attrs['eps']!r}) AS rstd\n"
            f"        FROM (SELECT b, unnest(v) AS a, unnest(range(1, {c + 1})) AS k FROM {inputs[0]})\n"
            f"        GROUP BY ALL)\n"
            f"  GROUP BY b),\n"
            f"s AS (\n"
            f"  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[{grp}])::FLOAT) AS scale,\n"
            f"         list_transform(p.beta, lambda bt, k: (bt - st.mean[{grp}] * p.gamma[k] * st.rstd[{grp}])::FLOAT) AS shift\n"
            f"  FROM st, p)\n"
            f"SELECT x.b, x.y, x.x, {out} AS v\n"
            f"FROM {inputs[0]} x JOIN s ON s.b = x.b")

    def silu(self, node, inputs, param):
        return f"SELECT b, list_transform(v, lambda z: {_SILU}) AS v FROM {inputs[0]}"

    def concat(self, node, inputs, param):
        return (f"SELECT h.b, h.y, h.x, list_concat(h.v, s.v) AS v\n"
                f"FROM {inputs[0]} h JOIN {inputs[1]} s ON s.b = h.b AND s.y = h.y AND s.x = h.x")

    def attention(self, node, inputs, param):
        c, h, w = node.shape
        heads = node.attrs["heads"]
        d = c // heads
        scale = 1.0 / math.sqrt(d)
        return (
            f"WITH hd AS MATERIALIZED (  -- one row per (pixel, head): its query, key and value slices\n"
            f"  SELECT b, y * {w} + x AS i, h, v[h * {d} + 1 : h * {d} + {d}] AS q,\n"
            f"         v[{c} + h * {d} + 1 : {c} + h * {d} + {d}] AS k, v[{2 * c} + h * {d} + 1 : {2 * c} + h * {d} + {d}] AS val\n"
            f"  FROM {inputs[0]}, range({heads}) r(h)),\n"
            f"keys AS (SELECT b, h, list(k ORDER BY i) AS ks FROM hd GROUP BY b, h),\n"
            f"vals AS (  -- values transposed: one list over pixels per channel\n"
            f"  SELECT b, h, list(col ORDER BY ch) AS cols\n"
            f"  FROM (SELECT b, h, ch, list(val[ch + 1] ORDER BY i) AS col FROM hd, range({d}) r(ch) GROUP BY b, h, ch)\n"
            f"  GROUP BY b, h),\n"
            f"sc AS (SELECT q.b, q.i, q.h, list_transform(k.ks, lambda kk: list_dot_product(kk, q.q) * {scale!r}::FLOAT) AS s\n"
            f"       FROM hd q JOIN keys k ON k.b = q.b AND k.h = q.h),\n"
            f"ex AS (SELECT b, i, h, list_transform(s, lambda z: exp(z - m)) AS e FROM (SELECT *, list_max(s) AS m FROM sc)),\n"
            f"pr AS (SELECT b, i, h, list_transform(e, lambda z: (z / tot)::FLOAT) AS p FROM (SELECT *, list_sum(e) AS tot FROM ex)),\n"
            f"o AS (SELECT pr.b, pr.i, pr.h, list_transform(vals.cols, lambda col: list_dot_product(col, pr.p)) AS o\n"
            f"      FROM pr JOIN vals ON vals.b = pr.b AND vals.h = pr.h)\n"
            f"SELECT b, i // {w} AS y, i % {w} AS x, flatten(list(o ORDER BY h)) AS v FROM o GROUP BY b, i")

    # ---- the sampler -----------------------------------------------------------------------
    def sampler_step(self, sample: str, eps: str, noise: str | None, coefficients: str, clip: float | None,
                     channels: int) -> str:
        """x_prev per pixel and channel from x_t, the predicted noise, the step's coefficients and noise."""
        x0 = "(a - c.sb * e.v[k]) / c.sa"
        if clip is not None:
            x0 = f"greatest({-clip!r}, least({clip!r}, {x0}))"
        noise_term, noise_join = ("", "") if noise is None else \
            (" + c.sigma * n.v[k]", f"\nJOIN {noise} n ON n.b = s.b AND n.y = s.y AND n.x = s.x")
        return (f"SELECT s.b, s.y, s.x, list_transform(list_transform(s.v, lambda a, k: {x0}),\n"
                f"  lambda z, k: (c.p * z + c.q * s.v[k] + c.r * e.v[k]{noise_term})::FLOAT) AS v\n"
                f"FROM {sample} s JOIN {eps} e ON e.b = s.b AND e.y = s.y AND e.x = s.x{noise_join}\n"
                f"CROSS JOIN {coefficients} c")

    def gaussian_noise(self, shape: tuple[int, int, int, int], seed: int, stream: int) -> str:
        """Standard normal noise (B, C, H, W): the same seed and stream give the same numbers whatever
        the thread count or row order.

        Each element's counter (stream, b, y, x, c) is hashed once, keyed by the hashed seed; the high
        and low 32 bits of the 64-bit hash are two uniforms for Box-Muller. (DuckDB's multi-argument
        hash combines its arguments too weakly: neighbouring counters came out correlated.)
        """
        b, c, h, w = shape
        counter = f"(({int(stream) * b} + bb) * {h * w} + yy * {w} + xx) * {c} + ch"
        bits = f"hash(xor(hash({int(seed)}::BIGINT), ({counter})::UBIGINT))"
        u1 = "(((hb >> 32) + 1)::DOUBLE / 4294967296.0)"  # (0, 1]
        u2 = "((hb & 4294967295)::DOUBLE / 4294967296.0)"  # [0, 1)
        return (f"SELECT bb::INTEGER AS b, yy::INTEGER AS y, xx::INTEGER AS x,\n"
                f"  list_transform(list_transform(range({c}), lambda ch: {bits}),\n"
                f"                 lambda hb: (sqrt(-2 * ln({u1})) * cos(2 * pi() * {u2}))::FLOAT) AS v\n"
                f"FROM range({b}) r1(bb), range({h}) r2(yy), range({w}) r3(xx)")

    # ---- helpers ---------------------------------------------------------------------------
    def _matmul(self, node: Node, rows: str, keys: str, param: str) -> str:
        """Each row's vector (its last entry 1.0) times every row of the layer's matrix.

        A statement whose source has few rows runs on one thread, so big layers are split into
        `parts` contiguous blocks of output channels, one UNION ALL branch each (DuckDB runs the
        branches on different threads), then put back together per row.
        """
        out = node.channels
        parts = self.parts if out >= 64 and node.is_image else 1
        bounds = [(p * out // parts, (p + 1) * out // parts - 1) for p in range(parts)]
        columns = ", ".join("g." + k for k in keys.split(", "))
        branches = [
            f"SELECT {f'{p} AS part, ' if parts > 1 else ''}{columns}, "
            f"list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v\n"
            f"FROM g, (SELECT list(w ORDER BY o) AS m FROM {param} WHERE o BETWEEN {lo} AND {hi}) w"
            for p, (lo, hi) in enumerate(bounds)]
        if parts == 1:
            return f"WITH g AS ({rows})\n{branches[0]}"
        union = "\nUNION ALL\n".join(branches)
        return (f"WITH g AS MATERIALIZED ({rows})\n"
                f"SELECT {keys}, flatten(list(v ORDER BY part)) AS v FROM (\n{union}\n) GROUP BY {keys}")

    def _epilogue(self, node: Node, core: str, inputs: list) -> str:
        """Add the second input, if any (a per-item vector or a same-shaped image), then divide by scale."""
        if len(inputs) < 2:
            return core
        keys = "c.b, c.y, c.x" if node.is_image else "c.b"
        on = "e.b = c.b" + (" AND e.y = c.y AND e.x = c.x" if inputs[1].is_image else "")
        scale = float(node.attrs.get("scale", 1.0))
        expr = "a + e.v[k]" if scale == 1.0 else f"(a + e.v[k]) / {scale!r}::FLOAT"
        return (f"SELECT {keys}, list_transform(c.v, lambda a, k: {expr}) AS v\n"
                f"FROM (\n{core}\n) c JOIN {inputs[1]} e ON {on}")

# x * sigmoid(x), computed in DOUBLE and rounded once
_SILU = "(z / (1 + exp(-z)))::FLOAT"
