"""DuckDB: activations as one row per pixel holding the channel vector as a FLOAT[] list.

Measured (DESIGN.md, BENCHMARKS.md): one row per pixel with `list_dot_product` against the rows of
the weight matrix, all output channels of a pixel in one `list_transform`, beats row-per-scalar joins
by 20x and needs no GROUP BY to repack channels. A layer's matrix is one row holding its list of
rows, read whole (slicing it copies). 3x3 convolutions with enough work run as Winograd
F(2x2, 3x3) against kernels transformed at import; the others gather the 3x3 neighbourhood into one
list per pixel (im2col) and take one dot product per output channel, the bias riding in the dot
product as a last column against an appended 1.0.

Costs that shape the SQL: `list_dot_product` runs at about 1 ns per multiply-add per thread, an
element of list arithmetic in a lambda at 20-40 ns, binding a statement at about 0.15 ms per lambda.
A SELECT over a table of fewer than 122,880 rows runs on one thread unless it is split (UNION ALL
branches) or runs above a window with several partitions.
"""

from __future__ import annotations

import math

from ...graph.ops import Node
from ...model.layout import WINOGRAD, WINOGRAD_VARIANTS
from .base import Dialect
from ..render import SAMPLE

_ONE = "[1.0::FLOAT]"

# A 3x3 convolution runs as Winograd F(2x2, 3x3) from this much work (pixels x in x out channels)
# up: below it the tile transforms and a longer statement to plan cost more than the multiplications
# saved. Kernels are stored for convolutions with at least WINOGRAD_MIN_CHANNELS in and out. F(4x4, 3x3)
# measured slower and less exact everywhere: off unless asked for (BENCHMARKS.md, "Winograd or direct").
WINOGRAD_MIN_WORK = 4_000_000
WINOGRAD_MIN_CHANNELS = 32
WINOGRAD4_MAX_CHANNELS = 0


class DuckDBDialect(Dialect):
    name = "duckdb"
    variants = frozenset(WINOGRAD_VARIANTS)

    def __init__(self, parts: int = 2, winograd_min_work: int = WINOGRAD_MIN_WORK,
                 winograd_min_channels: int = WINOGRAD_MIN_CHANNELS,
                 winograd4_max_channels: int = WINOGRAD4_MAX_CHANNELS) -> None:
        self.parts = parts  # UNION ALL branches per heavy statement: one per thread
        self.winograd_min_work = winograd_min_work
        self.winograd_min_channels = winograd_min_channels
        self.winograd4_max_channels = winograd4_max_channels

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
        if not node.is_image:
            rows = f"SELECT b, v || {_ONE} AS v FROM {inputs[0]}"
            return self._epilogue(node, self._matmul(rows, "b", param), inputs)
        _, h, w = node.shape
        rows = f"SELECT b, y, x, v || {_ONE} AS v FROM {inputs[0]}"
        return self._epilogue(node, self._matmul(rows, "b, y, x", param, f"y * {w} + x"), inputs)

    def conv3x3(self, node, inputs, param):
        cin, h, w = inputs[0].shape
        src = inputs[0].name
        if node.attrs["upsample"]:  # nearest 2x first: each pixel becomes a 2x2 block
            h, w = 2 * h, 2 * w
            src = (f"(SELECT b, 2 * y + u.dy AS y, 2 * x + u.dx AS x, v FROM {src}, "
                   f"(VALUES (0, 0), (0, 1), (1, 0), (1, 1)) u(dy, dx))")
        path = self.conv_path(cin, node.channels, h * w) if node.attrs["stride"] == 1 else "direct"
        if path in param.variants:
            return self._winograd(node, src, cin, h, w, param, inputs, path)
        rows = self._im2col(src, cin, h, w)
        if node.attrs["stride"] == 2:
            # output pixel (oy, ox) is centred on input (2oy, 2ox) with padding 1, on (2oy+1, 2ox+1)
            # with diffusers' asymmetric (0, 1, 0, 1) padding; out-of-range neighbours are zeros
            centre = 1 - node.attrs["pad"]
            rows = (f"SELECT b, y // 2 AS y, x // 2 AS x, v FROM ({rows}) "
                    f"WHERE y % 2 = {centre} AND x % 2 = {centre}")
        split = f"y * {node.shape[2]} + x"
        return self._epilogue(node, self._matmul(rows, "b, y, x", param, split), inputs)

    def conv_path(self, cin: int, cout: int, pixels: int | None = None) -> str:
        """How a stride-1 3x3 convolution is computed: "direct", "winograd2" or "winograd4" (F(2x2, 3x3)
        or F(4x4, 3x3)), by its channels and output pixels (None: at some image size), as measured by
        benchmarks/conv_paths.py."""
        too_small = pixels is not None and pixels * cin * cout < self.winograd_min_work
        if min(cin, cout) < self.winograd_min_channels or too_small:
            return "direct"
        return "winograd4" if max(cin, cout) <= self.winograd4_max_channels else "winograd2"

    def stored_variants(self, layer) -> list[str]:
        """The Winograd kernels a convolution will use, if any."""
        if layer.kind != "conv3x3" or not layer.variants:
            return []
        out, cin = layer.tensors[f"{layer.name}.weight"][:2]
        return [v for v in super().stored_variants(layer) if v == self.conv_path(cin, out)]

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
        c, h, w = node.shape
        size = c // node.attrs["groups"]
        grp = f"(k - 1) // {size} + 1"
        # per (batch item, group): sums of x and x^2 in DOUBLE over its pixels and channels, taken in
        # `parts` branches (one per thread) and added up; mean and 1/sqrt(var + eps) (population
        # variance, as torch) are folded with gamma and beta into one scale and shift per channel
        sums = self._union(lambda where: (
            f"SELECT b, (k - 1) // {size} AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n\n"
            f"FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, {c + 1})) AS k FROM {inputs[0]}{where}) GROUP BY ALL"),
            f"y * {w} + x")
        out = "list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k])"
        if node.attrs["silu"]:
            out = f"list_transform({out}, lambda z: {_SILU})"
        apply = self._union(lambda where: f"SELECT x.b, x.y, x.x, {out} AS v\nFROM {inputs[0]} x JOIN s ON s.b = x.b{where}",
                            f"x.y * {w} + x.x")
        return (
            f"WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM {param}),\n"
            f"st AS (\n"
            f"  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd\n"
            f"  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + {node.attrs['eps']!r}) AS rstd\n"
            f"        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (\n{sums}\n) GROUP BY b, grp))\n"
            f"  GROUP BY b),\n"
            f"s AS MATERIALIZED (\n"
            f"  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[{grp}])::FLOAT) AS scale,\n"
            f"         list_transform(p.beta, lambda bt, k: (bt - st.mean[{grp}] * p.gamma[k] * st.rstd[{grp}])::FLOAT) AS shift\n"
            f"  FROM st, p)\n"
            f"{apply}")

    def silu(self, node, inputs, param):
        return f"SELECT b, list_transform(v, lambda z: {_SILU}) AS v FROM {inputs[0]}"

    def concat(self, node, inputs, param):
        return (f"SELECT h.b, h.y, h.x, list_concat(h.v, s.v) AS v\n"
                f"FROM {inputs[0]} h JOIN {inputs[1]} s ON s.b = h.b AND s.y = h.y AND s.x = h.x")

    def attention(self, node, inputs, param):
        """softmax(q k^T / sqrt(d)) v per head. One row per (item, head) gathers that head's queries, keys
        and (transposed) values; its queries are then unnested, and each query row reaches its head's
        keys and values without a join (a join would copy them into every query row)."""
        c, h, w = node.shape
        heads = node.attrs["heads"]
        d, n = c // heads, h * w
        scale = 1.0 / math.sqrt(d)
        # a lambda evaluates its whole body per element: the row max and sum are taken outside it;
        # the weights stay unnormalised (exp(s - max) as float32), each output is divided by their sum
        branches = self._union(lambda where: (
            f"SELECT b, i, h, list_transform(vt, lambda col: (list_dot_product(col, e) / total)::FLOAT) AS o FROM (\n"
            f"  SELECT b, i, h, vt, e, list_sum(e) AS total FROM (\n"
            f"    SELECT b, i, h, vt, list_transform(s, lambda z: exp(z - m)::FLOAT) AS e FROM (\n"
            f"      SELECT b, i, h, vt, s, list_max(s) AS m FROM (\n"
            f"        SELECT b, i, h, vt, list_transform(ks, lambda kk: list_dot_product(kk, q) * {scale!r}::FLOAT) AS s\n"
            f"        FROM (SELECT b, h, unnest(qs) AS q, unnest(range({n})) AS i, ks, vt FROM heads)\n"
            f"        {where}))))"), "i")
        return (
            f"WITH hd AS (  -- one row per (pixel, head): its query, key and value slices\n"
            f"  SELECT b, y * {w} + x AS i, h, v[h * {d} + 1 : h * {d} + {d}] AS q,\n"
            f"         v[{c} + h * {d} + 1 : {c} + h * {d} + {d}] AS k, v[{2 * c} + h * {d} + 1 : {2 * c} + h * {d} + {d}] AS val\n"
            f"  FROM {inputs[0]}, range({heads}) r(h)),\n"
            f"heads AS MATERIALIZED (  -- values transposed: one list over the pixels per channel\n"
            f"  SELECT b, h, qs, ks, list_transform(range({d}), lambda ch: list_slice(vals, ch + 1, {n * d}, {d})) AS vt\n"
            f"  FROM (SELECT b, h, list(q ORDER BY i) AS qs, list(k ORDER BY i) AS ks, flatten(list(val ORDER BY i)) AS vals\n"
            f"        FROM hd GROUP BY b, h)),\n"
            f"o AS (\n{branches}\n)\n"
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
    def _matmul(self, rows: str, keys: str, param, split: str | None = None) -> str:
        """Each row's vector (its last entry 1.0) times every row of the layer's matrix `m`.

        A statement whose source has few rows runs on one thread, so image rows are dealt by
        `split` (a row number) into `parts` UNION ALL branches, which DuckDB runs on different threads.
        """
        product = f"SELECT {keys}, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, {param} w"
        if split is None or self.parts == 1:
            return f"WITH g AS ({rows})\n{product}"
        return f"WITH g AS MATERIALIZED ({rows})\n" + self._union(lambda where: product + where, split)

    def _union(self, branch, row: str) -> str:
        """`branch(where)` once per thread, each WHERE keeping the rows whose number `row` is its own
        modulo `parts`, glued by UNION ALL: DuckDB runs the branches on different threads, where
        one SELECT over a table of fewer than 122,880 rows (one row group) would run on one."""
        if self.parts == 1:
            return branch("")
        return "\nUNION ALL\n".join(branch(f" WHERE ({row}) % {self.parts} = {p}") for p in range(self.parts))

    def _winograd(self, node: Node, src: str, cin: int, h: int, w: int, param, inputs: list, path: str) -> str:
        """A stride-1 3x3 convolution by Winograd F(m x m, 3x3), per m x m output tile (ty, tx), n = m + 2:

        1. V = B^T d B for the tile's n x n input pixels d (rows m*ty - 1 .. m*ty + m, likewise columns,
           zeros outside), separably: along each image row first (a window per row, so rows are spread
           over threads), then down each column of tiles; V is n*n channel vectors;
        2. M = U . V: for each of the n*n positions, one dot product with each output channel's
           transformed kernel U (stored at import);
        3. Y = A^T M A (+ bias, + the per-item vector if one is added): the m*m output pixels.
        Steps 2 and 3 run in the pipeline of the second window, which DuckDB runs on all threads
        (one task per window partition): no UNION ALL branches needed, unlike in `_matmul`.
        """
        m = WINOGRAD_VARIANTS[path]
        n = m + 2
        at = WINOGRAD[m][2]
        m_cols = ", ".join(f"list_transform(u.u{i}{j}, lambda r: list_dot_product(r, t.v{i}{j})) AS m{i}{j}"
                           for i in range(n) for j in range(n))
        extra, join = "", ""
        if len(inputs) > 1 and not inputs[1].is_image:  # the time embedding: one vector per item
            extra, join = " + e.v[k]", f" JOIN {inputs[1]} e ON e.b = t.b"
        y_cols = ", ".join(
            f"list_transform({_combination([(at[i][r] * at[j][s], f'm{r}{s}') for r in range(n) for s in range(n)])}, "
            f"lambda a, k: a + bias[k]{extra}) AS y{i}{j}" for i in range(m) for j in range(m))
        outputs = ", ".join(f"y{i}{j}" for i in range(m) for j in range(m))
        core = (f"WITH {self._winograd_tiles(src, cin, m)}\n"
                f"SELECT b, {m} * ty + q // {m} AS y, {m} * tx + q % {m} AS x, v FROM (\n"
                f"  SELECT b, ty, tx, unnest([{outputs}]) AS v, unnest(range({m * m})) AS q FROM (\n"
                f"    SELECT t.b, ty, tx, {y_cols} FROM (\n"
                f"      SELECT t.b, t.ty, t.tx, u.bias, {m_cols}\n"
                f"      FROM tiles t, {param.variants[path]} u) t{join}))\n"
                f"WHERE y < {h} AND x < {w}")
        return self._epilogue(node, core, [i for i in inputs if i.is_image])

    @staticmethod
    def _winograd_tiles(src: str, cin: int, m: int) -> str:
        """CTEs `rows` and `tiles`: V = B^T d B, one row per tile (b, ty, tx, v00 .. v{n-1}{n-1}).

        d B along each image row (a window per row), at every m-th x; then B^T (d B) down each column
        of tiles (a window per column), at every m-th y. Pixels outside the image are zeros.
        """
        n = m + 2
        bt = WINOGRAD[m][0]
        zeros = f"[0::FLOAT for _ in range({cin})]"

        def neighbours(col: str) -> list[str]:  # offsets -1, 0, 1, .., m along the window
            return [f"coalesce(lag({col}) OVER win, {zeros})", col] + [
                f"coalesce(lead({col}, {k}) OVER win, {zeros})" for k in range(1, m + 1)]

        across = ", ".join(f"{cell} AS d{s}" for s, cell in enumerate(neighbours("v")))
        e_cols = ", ".join(_combination([(bt[j][s], f"d{s}") for s in range(n)]) + f" AS e{j}" for j in range(n))
        down = ", ".join(f"{cell} AS e{r}{j}" for j in range(n) for r, cell in enumerate(neighbours(f"e{j}")))
        v_cols = ", ".join(_combination([(bt[i][r], f"e{r}{j}") for r in range(n)]) + f" AS v{i}{j}"
                           for i in range(n) for j in range(n))
        return (f"rows AS (\n"
                f"  SELECT b, y, x // {m} AS tx, {e_cols}\n"
                f"  FROM (SELECT b, y, x, {across} FROM {src} WINDOW win AS (PARTITION BY b, y ORDER BY x))\n"
                f"  WHERE x % {m} = 0),\n"
                f"tiles AS (\n"
                f"  SELECT b, y // {m} AS ty, tx, {v_cols}\n"
                f"  FROM (SELECT b, y, tx, {down} FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))\n"
                f"  WHERE y % {m} = 0)")

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

def _combination(terms: list[tuple[float, str]]) -> str:
    """Element-wise weighted sum of lists (terms weighted 0 are left out), as one list_transform."""
    terms = [(float(c), name) for c, name in terms if c]
    (c0, first), rest = terms[0], terms[1:]

    def term(c: float, x: str) -> str:
        return x if abs(c) == 1 else f"{abs(c)!r}::FLOAT * {x}"

    body = ("" if c0 > 0 else "-") + term(c0, "a") + "".join(
        f" {'+' if c > 0 else '-'} {term(c, name + '[k]')}" for c, name in rest)
    return f"list_transform({first}, lambda a, k: {body})"


# x * sigmoid(x), computed in DOUBLE and rounded once
_SILU = "(z / (1 + exp(-z)))::FLOAT"
