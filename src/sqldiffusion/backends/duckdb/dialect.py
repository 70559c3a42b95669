"""DuckDB: activations as one row per pixel holding the channel vector as a FLOAT[] list.

Measured (BENCHMARKS.md, docs/backends.md): one row per pixel with `list_dot_product` against the rows of
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
from dataclasses import replace

from ...graph.ops import Graph, Layer, Node
from ...literals import number
from ..dialect import Dialect, neighbourhood
from ..noise import box_muller
from .winograd import WINOGRAD

_ONE = "[1.0::FLOAT]"

# A 3x3 convolution runs as Winograd F(2x2, 3x3) from this much work (pixels x in x out channels)
# up: below it the tile transforms and a longer statement to plan cost more than the multiplications
# saved. Kernels are stored for convolutions with at least WINOGRAD_MIN_CHANNELS in and out. F(4x4, 3x3)
# measured slower and less exact everywhere: off unless asked for (BENCHMARKS.md, "Winograd or direct").
WINOGRAD_MIN_WORK = 4_000_000
WINOGRAD_MIN_CHANNELS = 32
WINOGRAD4_MAX_CHANNELS = 0

WINOGRAD_CONV = "winograd_conv3x3"  # the primitive the lowering puts in place of a stride-1 conv3x3


class DuckDBDialect(Dialect):
    name = "duckdb"
    real = "FLOAT"
    double = "DOUBLE"
    lowered_ops = {WINOGRAD_CONV: "winograd_conv3x3"}

    def __init__(self, parts: int = 2, winograd_min_work: int = WINOGRAD_MIN_WORK,
                 winograd_min_channels: int = WINOGRAD_MIN_CHANNELS,
                 winograd4_max_channels: int = WINOGRAD4_MAX_CHANNELS) -> None:
        self.parts = parts  # UNION ALL branches per heavy statement: one per thread
        self.winograd_min_work = winograd_min_work
        self.winograd_min_channels = winograd_min_channels
        self.winograd4_max_channels = winograd4_max_channels

    # ---- the channel vocabulary: one FLOAT[] list `v` per row ---------------------------------
    def series(self, n: int, column: str) -> str:
        return f"range({n}) AS r_{column}({column})"

    def channels(self, alias: str, n: int) -> str:
        return f"{alias}.v"

    def map_channels(self, n, fn, first, others=(), cast=False) -> str:
        if others:
            body = fn("a", *[f"{o}.v[k]" for o in others])
            params = "a, k"
        else:
            body, params = fn("a"), "a"
        if cast:
            body = f"({body})::FLOAT"
        return f"list_transform({first}.v, lambda {params}: {body}) AS v"

    def indexed_channels(self, n, fn) -> str:
        return f"list_transform(range({n}), lambda k: ({fn('k')})::FLOAT) AS v"

    def dot_channels(self, n, first, second) -> str:
        return f"list_dot_product({first}.v::DOUBLE[], {second}.v::DOUBLE[])"

    def concat_channels(self, left, n_left, right, n_right) -> str:
        return f"list_concat({left}.v, {right}.v) AS v"

    def silu_expr(self, z: str) -> str:
        # x * sigmoid(x), computed in DOUBLE and rounded once
        return f"({z} / (1 + exp(-{z})))::FLOAT"

    def noise_channels(self, n, counter, seed) -> str:
        """Each element's counter is hashed once, keyed by the hashed seed; the high and low 32 bits
        of the 64-bit hash are the two uniforms. (DuckDB's multi-argument hash combines its
        arguments too weakly: neighbouring counters came out correlated.)"""
        bits = f"hash(xor(hash({int(seed)}::BIGINT), ({counter('ch')})::UBIGINT))"
        u1 = "(((hb >> 32) + 1)::DOUBLE / 4294967296.0)"  # (0, 1]
        u2 = "((hb & 4294967295)::DOUBLE / 4294967296.0)"  # [0, 1)
        return (f"list_transform(list_transform(range({n}), lambda ch: {bits}),\n"
                f"                 lambda hb: ({box_muller(u1, u2)})::FLOAT) AS v")

    # ---- lowering: Winograd convolutions ----------------------------------------------------
    def conv_path(self, cin: int, cout: int, pixels: int | None = None) -> str:
        """How a stride-1 3x3 convolution is computed: "direct", or Winograd F(2x2, 3x3) or F(4x4, 3x3)
        (tile 2 or 4), by its channels and output pixels (None: at a large enough image), as measured
        by benchmarks/conv_paths.py. Returns "direct", "winograd2" or "winograd4"."""
        too_small = pixels is not None and pixels * cin * cout < self.winograd_min_work
        if min(cin, cout) < self.winograd_min_channels or too_small:
            return "direct"
        return "winograd4" if max(cin, cout) <= self.winograd4_max_channels else "winograd2"

    def lower(self, graph: Graph) -> Graph:
        """Stride-1 3x3 convolutions with enough work become Winograd convolutions, reading the
        transformed kernels (a layer packed "winograd2"/"winograd4", table "<conv>#winograd2")."""
        return self._winograd(graph, any_size=False)

    def _winograd(self, graph: Graph, any_size: bool) -> Graph:
        """`lower`; `any_size`: as at an image large enough for every convolution that can, to do so."""
        def rewrite(node: Node) -> Node:
            if node.op != "conv3x3" or node.attrs["stride"] != 1 or node.layer.rows is not None:
                return node  # a convolution of some of a layer's channels runs directly
            cout, h, w = node.shape
            cin = graph[node.inputs[0]].channels
            path = self.conv_path(cin, cout, None if any_size else h * w)
            if path == "direct":
                return node
            layer = Layer(f"{node.layer.name}#{path}", path, node.layer.tensors)
            return replace(node, op=WINOGRAD_CONV, layer=layer, attrs={**node.attrs, "tile": int(path[-1])},
                           tag=node.category)  # profiled with the other convolutions
        return graph.rewritten(rewrite)

    def stored_layers(self, graph: Graph) -> list[Layer]:
        """Matrices for what runs directly at the smallest size, Winograd kernels for what can run
        by Winograd at some size (the work only grows with the image)."""
        layers = {layer.name: layer for layer in self.lower(graph).layers}
        for layer in self._winograd(graph, any_size=True).layers:
            layers.setdefault(layer.name, layer)
        return list(layers.values())

    # ---- primitives ------------------------------------------------------------------------
    def time_proj(self, node, inputs, table):
        # one lambda over the channels, not one term each: the statement stays short
        return (f"SELECT b, list_transform(range({node.channels}), lambda k: {self.time_embedding(node, 'k')}) AS v\n"
                f"FROM {inputs[0]}")

    def dense(self, node, inputs, table):
        if not node.is_image:
            rows = f"SELECT b, v || {_ONE} AS v FROM {inputs[0]}"
            return self.epilogue(node, self._matmul(rows, "b", table), inputs)
        _, h, w = node.shape
        rows = f"SELECT b, y, x, v || {_ONE} AS v FROM {inputs[0]}"
        return self.epilogue(node, self._matmul(rows, "b, y, x", table, f"y * {w} + x"), inputs)

    def conv3x3(self, node, inputs, table):
        """Direct: each output pixel's 3x3 neighbourhood (im2col) dotted with each output channel's row."""
        split = f"y * {node.shape[2]} + x"
        return self.epilogue(node, self._matmul(self.conv_rows(node, inputs), "b, y, x", table, split), inputs)

    @staticmethod
    def half(column: str) -> str:
        return f"{column} // 2"

    @staticmethod
    def im2col(src: str, channels: int, h: int, w: int) -> str:
        """Each pixel's 3x3 neighbourhood as one list (ky, kx, channel), zeros outside, then 1.0."""
        cells = neighbourhood(h, w, f"[0::FLOAT for _ in range({channels})]")
        return (f"SELECT b, y, x, flatten([{', '.join(cells)}]) || {_ONE} AS v\n"
                f"  FROM {src} WINDOW win AS (PARTITION BY b ORDER BY y, x)")

    def group_norm(self, node, inputs, table):
        c, h, w = node.shape
        size = c // node.attrs["groups"]
        grp = f"(k - 1) // {size} + 1"
        # per (batch item, group): sums of x and x^2 in DOUBLE over its pixels and channels, taken in
        # `parts` branches (one per thread) and added up; mean and 1/sqrt(var + eps) (population
        # variance, as torch) are folded with gamma and beta into one scale and shift per channel
        sums = self._over_threads(lambda where: (
            f"SELECT b, (k - 1) // {size} AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n\n"
            f"FROM (SELECT b, unnest(v)::DOUBLE AS a, "
            f"unnest(range(1, {c + 1})) AS k FROM {inputs[0]}{where}) GROUP BY ALL"),
            f"y * {w} + x")
        out = "list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k])"
        if node.attrs["silu"]:
            out = f"list_transform({out}, lambda z: {self.silu_expr('z')})"
        apply = self._over_threads(lambda where: (f"SELECT x.b, x.y, x.x, {out} AS v\n"
                                                  f"FROM {inputs[0]} x JOIN s ON s.b = x.b{where}"),
                            f"x.y * {w} + x.x")
        return (
            f"WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM {table}),\n"
            f"st AS (\n"
            f"  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd\n"
            f"  FROM (SELECT b, grp, mean, "
            f"1 / sqrt(greatest(s2 / n - mean * mean, 0) + {self.number(node.attrs['eps'])}) AS rstd\n"
            f"        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n "
            f"FROM (\n{sums}\n) GROUP BY b, grp))\n"
            f"  GROUP BY b),\n"
            f"s AS MATERIALIZED (\n"
            f"  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[{grp}])::FLOAT) AS scale,\n"
            f"         list_transform(p.beta, lambda bt, k: "
            f"(bt - st.mean[{grp}] * p.gamma[k] * st.rstd[{grp}])::FLOAT) AS shift\n"
            f"  FROM st, p)\n"
            f"{apply}")

    def attention(self, node, inputs, table):
        """softmax(q k^T / sqrt(d)) v per head over the pixels. One row per (item, head) gathers that
        head's queries, keys and (transposed) values (`_heads_attention` does the rest)."""
        c, h, w = node.shape
        heads = node.attrs["heads"]
        d, n = c // heads, h * w
        return (
            f"WITH hd AS (  -- one row per (pixel, head): its query, key and value slices\n"
            f"  SELECT b, y * {w} + x AS i, h, v[h * {d} + 1 : h * {d} + {d}] AS q,\n"
            f"         v[{c} + h * {d} + 1 : {c} + h * {d} + {d}] AS k, "
            f"v[{2 * c} + h * {d} + 1 : {2 * c} + h * {d} + {d}] AS val\n"
            f"  FROM {inputs[0]}, range({heads}) r(h)),\n"
            f"heads AS MATERIALIZED (  -- values transposed: one list over the pixels per channel\n"
            f"  SELECT b, h, qs, ks, "
            f"list_transform(range({d}), lambda ch: list_slice(vals, ch + 1, {n * d}, {d})) AS vt\n"
            f"  FROM (SELECT b, h, list(q ORDER BY i) AS qs, list(k ORDER BY i) AS ks, "
            f"flatten(list(val ORDER BY i)) AS vals\n"
            f"        FROM hd GROUP BY b, h)),\n"
            f"{self._heads_attention(n, d, w, bool(node.attrs.get('causal')))}")

    def cross_attention(self, node, inputs, table):
        """softmax(q k^T / sqrt(d)) v per head of each pixel's query over the text's tokens: one row
        per (item, head) gathers the head's queries from the image and its keys and (transposed)
        values from the tokens' (keys then values) vectors (`_heads_attention` does the rest)."""
        c, h, w = node.shape
        heads = node.attrs["heads"]
        d, n, tokens = c // heads, h * w, inputs[1].shape[2]
        head = f"range({heads}) r(h)"
        return (
            f"WITH qh AS (SELECT b, h, list(v[h * {d} + 1 : h * {d} + {d}] ORDER BY y * {w} + x) AS qs\n"
            f"  FROM {inputs[0]}, {head} GROUP BY b, h),\n"
            f"kh AS (SELECT b, h, list(v[h * {d} + 1 : h * {d} + {d}] ORDER BY x) AS ks,\n"
            f"         flatten(list(v[{c} + h * {d} + 1 : {c} + h * {d} + {d}] ORDER BY x)) AS vals\n"
            f"  FROM {inputs[1]}, {head} GROUP BY b, h),\n"
            f"heads AS MATERIALIZED (  -- values transposed: one list over the tokens per channel\n"
            f"  SELECT qh.b, qh.h, qs, ks, "
            f"list_transform(range({d}), lambda ch: list_slice(vals, ch + 1, {tokens * d}, {d})) AS vt\n"
            f"  FROM qh JOIN kh ON kh.b = qh.b AND kh.h = qh.h),\n"
            f"{self._heads_attention(n, d, w)}")

    def _heads_attention(self, n: int, d: int, w: int, causal: bool = False) -> str:
        """The rest of an attention, from CTE `heads`: one row per (item b, head h) holding its `n`
        queries `qs` (in pixel order, y * w + x), its keys `ks` and its values transposed `vt` (one
        list over the keys per channel, `d` of them). Its queries are unnested, and each query row
        reaches its head's keys and values without a join (a join would copy them into every query
        row); the heads' outputs are put back side by side per pixel. `causal`: key j after query i
        is left out (a score of -inf, a weight of 0)."""
        scale = 1.0 / math.sqrt(d)
        score = f"list_dot_product(kk, q) * {self.number(scale)}::FLOAT"
        scores = f"list_transform(ks, lambda kk: {score})"
        if causal:  # key j (1-based in the lambda) after query i: -inf, a weight of 0
            scores = f"list_transform(ks, lambda kk, j: CASE WHEN j > i + 1 THEN '-inf'::FLOAT ELSE {score} END)"
        # a lambda evaluates its whole body per element: the row max and sum are taken outside it;
        # the weights stay unnormalised (exp(s - max) as float32), each output is divided by their sum
        branches = self._over_threads(lambda where: (
            f"SELECT b, i, h, list_transform(vt, lambda col: (list_dot_product(col, e) / total)::FLOAT) AS o FROM (\n"
            f"  SELECT b, i, h, vt, e, list_sum(e) AS total FROM (\n"
            f"    SELECT b, i, h, vt, list_transform(s, lambda z: exp(z - m)::FLOAT) AS e FROM (\n"
            f"      SELECT b, i, h, vt, s, list_max(s) AS m FROM (\n"
            f"        SELECT b, i, h, vt, {scores} AS s\n"
            f"        FROM (SELECT b, h, unnest(qs) AS q, unnest(range({n})) AS i, ks, vt FROM heads)\n"
            f"        {where}))))"), "i")
        return (f"o AS (\n{branches}\n)\n"
                f"SELECT b, i // {w} AS y, i % {w} AS x, flatten(list(o ORDER BY h)) AS v FROM o GROUP BY b, i")

    def lookup(self, node, inputs, table):
        """Each pixel's row of the table (one row per entry `o`): the entry its token id (v[1]) or
        its x names; the second input, if any, added."""
        index = "s.x" if node.attrs["by_position"] else "s.v[1]::INTEGER"
        core = f"SELECT s.b, s.y, s.x, w.v FROM {inputs[0]} s JOIN {table} w ON w.o = {index}"
        return self.epilogue(node, core, inputs)

    def layer_norm(self, node, inputs, table):
        """Per pixel, the mean and 1/sqrt(var + eps) of its channels in DOUBLE (population variance,
        as torch), then (x - mean) * rstd * gamma + beta rounded once; pixels dealt over threads."""
        c, h, w = node.shape
        eps = self.number(float(node.attrs["eps"]))
        out = "list_transform(v, lambda a, k: ((a - mu) * rs * p.gamma[k] + p.beta[k])::FLOAT)"
        branches = self._over_threads(lambda where: (
            f"SELECT b, y, x, {out} AS v FROM (\n"
            f"  SELECT b, y, x, v, mu, 1 / sqrt(list_sum(list_transform(v, lambda a: (a - mu) * (a - mu))) / {c} "
            f"+ {eps}) AS rs\n"
            f"  FROM (SELECT b, y, x, v, list_sum(v::DOUBLE[]) / {c} AS mu FROM {inputs[0]}{where})), p"),
            f"y * {w} + x")
        return f"WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM {table})\n{branches}"

    # ---- helpers ---------------------------------------------------------------------------
    def _matmul(self, rows: str, keys: str, table: str, split: str | None = None) -> str:
        """Each row's vector (its last entry 1.0) times every row of the layer's matrix `m`.

        A statement whose source has few rows runs on one thread, so image rows are dealt by
        `split` (a row number) into `parts` UNION ALL branches, which DuckDB runs on different threads.
        """
        product = f"SELECT {keys}, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, {table} w"
        if split is None or self.parts == 1:
            return f"WITH g AS ({rows})\n{product}"
        return f"WITH g AS MATERIALIZED ({rows})\n" + self._over_threads(lambda where: product + where, split)

    def _over_threads(self, branch, row: str) -> str:
        """`branch(where)` once per thread, each WHERE keeping the rows whose number `row` is its own
        modulo `parts`, glued by UNION ALL: DuckDB runs the branches on different threads, where
        one SELECT over a table of fewer than 122,880 rows (one row group) would run on one."""
        if self.parts == 1:
            return branch("")
        return "\nUNION ALL\n".join(branch(f" WHERE ({row}) % {self.parts} = {p}") for p in range(self.parts))

    def winograd_conv3x3(self, node, inputs, table):
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
        src, (cin, h, w) = self.conv_source(node, inputs)
        m = node.attrs["tile"]
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
                f"      FROM tiles t, {table} u) t{join}))\n"
                f"WHERE y < {h} AND x < {w}")
        return self.epilogue(node, core, [i for i in inputs if i.is_image])

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

def _combination(terms: list[tuple[float, str]]) -> str:
    """Element-wise weighted sum of lists (terms weighted 0 are left out), as one list_transform."""
    terms = [(float(c), name) for c, name in terms if c]
    (c0, first), rest = terms[0], terms[1:]

    def term(c: float, x: str) -> str:
        return x if abs(c) == 1 else f"{number(abs(c))}::FLOAT * {x}"

    body = ("" if c0 > 0 else "-") + term(c0, "a") + "".join(
        f" {'+' if c > 0 else '-'} {term(c, name + '[k]')}" for c, name in rest)
    return f"list_transform({first}, lambda a, k: {body})"

