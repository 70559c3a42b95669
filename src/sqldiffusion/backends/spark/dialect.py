"""Spark SQL: activations as one row per pixel holding the channel vector as an ARRAY<FLOAT>.

The layout is DuckDB's (one list per pixel, a layer's matrix as one row holding its list of rows),
with Spark's vocabulary: `transform` with an element index for element-wise arithmetic,
`vector_inner_product` (Spark 4.2+, float32 arrays only) for every dot product, `sequence` for
ranges, `posexplode` to take a vector apart, and `array_sort(collect_list(struct(key, value)))` to
gather vectors in order. Measured (2 cores, Spark 4.3): `vector_inner_product` runs at 0.33-0.42
GFLOP per CPU-second with the join; `aggregate(zip_with(...))` is 7x slower.

Spark's `/` always gives DOUBLE: where torch rounds a quotient to float32, the SQL casts it. Each
job a statement starts costs Spark about 0.05 s, so statements avoid them: a layer's matrix is a
scalar subquery (read in the driver; a broadcast join would ship it in a job of its own), group
norm's statistics are window sums (no aggregate joined back). A relation held in the driver has
its true size, so what is still joined is broadcast where small: a cross join Spark did not
broadcast would be a cartesian product, whose partitions multiply from statement to statement.
"""

from __future__ import annotations

import math

from ..dialect import Dialect
from ..noise import box_muller

_ONE = "array(1.0F)"


def _f(expr: str) -> str:
    return f"CAST({expr} AS FLOAT)"


def _ordered(key: str, value: str) -> str:
    """An aggregate: the `value`s of a group in the order of `key`."""
    return f"transform(array_sort(collect_list(struct({key} AS k, {value} AS v))), s -> s.v)"


class SparkDialect(Dialect):
    name = "spark"
    real = "FLOAT"
    double = "DOUBLE"

    @staticmethod
    def quote(name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def table(self, namespace: str, name: str) -> str:
        # a session's weights are temporary views, which have no schema: the namespace is a prefix of the name
        return self.quote(f"{namespace}.{name}")

    # ---- the channel vocabulary: one ARRAY<FLOAT> `v` per row -----------------------------------
    def series(self, n: int, column: str) -> str:
        return f"(SELECT CAST(id AS INT) AS {column} FROM range({n})) AS r_{column}"

    def channels(self, alias: str, n: int) -> str:
        return f"{alias}.v"

    def map_channels(self, n, fn, first, others=(), cast=False) -> str:
        # always cast: Spark's `/` gives DOUBLE, and a relation's vectors stay ARRAY<FLOAT> (a residual
        # divided by the block's scale is rounded to float32, as torch rounds it)
        body = _f(fn("a", *[f"{o}.v[k]" for o in others]))
        return f"transform({first}.v, (a, k) -> {body}) AS v"

    def indexed_channels(self, n, fn) -> str:
        return f"transform(sequence(0, {n - 1}), k -> {_f(fn('k'))}) AS v"

    def dot_channels(self, n, first, second) -> str:
        return f"aggregate(zip_with({first}.v, {second}.v, (p, q) -> CAST(p AS DOUBLE) * q), 0D, (acc, z) -> acc + z)"

    def concat_channels(self, left, n_left, right, n_right) -> str:
        return f"concat({left}.v, {right}.v) AS v"

    def silu_expr(self, z: str) -> str:
        return _f(f"{z} / (1 + exp(-{z}))")

    def noise_channels(self, n, counter, seed) -> str:
        """Each element's counter hashed with the seed by xxhash64; the high and low 32 bits of the
        hash are the two uniforms."""
        bits = f"xxhash64({int(seed)}L, {counter('ch')})"
        u1 = "((shiftrightunsigned(hb, 32) + 1) / 4294967296.0D)"  # (0, 1]
        u2 = "((hb & 4294967295L) / 4294967296.0D)"  # [0, 1)
        return (f"transform(transform(sequence(0, {n - 1}), ch -> {bits}),\n"
                f"          hb -> {_f(box_muller(u1, u2))}) AS v")

    def timesteps(self, values) -> str:
        rows = ", ".join(f"({b}, {self.number(float(t))}D)" for b, t in enumerate(values))
        return f"SELECT b, t FROM (VALUES {rows}) AS v(b, t)"

    # ---- primitives ------------------------------------------------------------------------
    def time_proj(self, node, inputs, table):
        # one lambda over the channels, not one term each: the statement stays short
        return (f"SELECT b, transform(sequence(0, {node.channels - 1}), k -> {self.time_embedding(node, 'k')}) AS v\n"
                f"FROM {inputs[0]}")

    def dense(self, node, inputs, table):
        keys = "b, y, x" if node.is_image else "b"
        rows = f"SELECT {keys}, concat(v, {_ONE}) AS v FROM {inputs[0]}"
        return self.epilogue(node, self._matmul(rows, keys, table), inputs)

    def conv3x3(self, node, inputs, table):
        """Each output pixel's 3x3 neighbourhood (im2col) dotted with each output channel's row."""
        return self.epilogue(node, self._matmul(self.conv_rows(node, inputs), "b, y, x", table), inputs)

    @staticmethod
    def half(column: str) -> str:
        return f"{column} div 2"

    def group_norm(self, node, inputs, table):
        c, h, w = node.shape
        groups = node.attrs["groups"]
        size = c // groups
        # Per pixel, each group's sums of x and of x^2 over its channels (`vector_inner_product`:
        # native code, at most a few dozen float terms); per batch item their DOUBLE sums, as window
        # sums over the item's pixels: one shuffle, no join (each job of a statement costs Spark
        # about 0.05 s). Mean and 1/sqrt(var + eps) (population variance, as torch) fold with gamma
        # and beta into one scale and shift per channel, as float32, as the other engines do.
        ones = f"array_repeat(1.0F, {size})"
        part = [f"slice(v, {g * size + 1}, {size})" for g in range(groups)]
        partials = ", ".join([f"vector_inner_product({q}, {ones}) AS s{g}" for g, q in enumerate(part)]
                             + [f"vector_inner_product({q}, {q}) AS q{g}" for g, q in enumerate(part)])
        n = h * w * size

        def total(column: str) -> str:
            return f"sum(CAST({column} AS DOUBLE)) OVER item"

        means = ", ".join(f"{total(f's{g}')} / {n}" for g in range(groups))
        squares = ", ".join(f"{total(f'q{g}')} / {n}" for g in range(groups))
        g = f"k div {size}"
        scale = _f(f"gamma[k] * rstd[{g}]")
        shift = _f(f"beta[k] - mean[{g}] * gamma[k] * rstd[{g}]")
        out = f"transform(v, (a, k) -> a * {scale} + {shift})"
        if node.attrs["silu"]:
            out = f"transform({out}, z -> {self.silu_expr('z')})"
        return (
            f"SELECT b, y, x, {out} AS v FROM (\n"
            f"  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> "
            f"1 / sqrt(greatest(q - m * m, 0) + {self.number(node.attrs['eps'])})) AS rstd,\n"
            f"         (SELECT m[0] FROM {table}) AS gamma, (SELECT m[1] FROM {table}) AS beta FROM (\n"
            f"    SELECT b, y, x, v, array({means}) AS mean, array({squares}) AS msq FROM (\n"
            f"      SELECT b, y, x, v, {partials} FROM {inputs[0]}) AS p\n"
            f"    WINDOW item AS (PARTITION BY b)) AS t) AS u")

    def attention(self, node, inputs, table):
        """softmax(q k^T / sqrt(d)) v per head over the pixels. One row per (item, head) gathers that
        head's queries, keys and (transposed) values (`_heads_attention` does the rest)."""
        c, h, w = node.shape
        heads = node.attrs["heads"]
        d = c // heads
        return (
            f"WITH hd AS (  -- one row per (pixel, head): its query, key and value slices\n"
            f"  SELECT /*+ BROADCAST(r_hh) */ b, y * {w} + x AS i, hh AS h, slice(v, hh * {d} + 1, {d}) AS q,\n"
            f"         slice(v, {c} + hh * {d} + 1, {d}) AS k, slice(v, {2 * c} + hh * {d} + 1, {d}) AS val\n"
            f"  FROM {inputs[0]} CROSS JOIN {self.series(heads, 'hh')}),\n"
            f"heads AS (  -- values transposed: one list over the pixels per channel\n"
            f"  SELECT b, h, qs, ks, transform(sequence(0, {d - 1}), ch -> transform(vals, r -> r[ch])) AS vt\n"
            f"  FROM (SELECT b, h, {_ordered('i', 'q')} AS qs, {_ordered('i', 'k')} AS ks, "
            f"{_ordered('i', 'val')} AS vals\n"
            f"        FROM hd GROUP BY b, h) AS gathered),\n"
            f"{self._heads_attention(d, w, bool(node.attrs.get('causal')))}")

    def cross_attention(self, node, inputs, table):
        """softmax(q k^T / sqrt(d)) v per head of each pixel's query over the text's tokens: one row
        per (item, head) gathers the head's queries from the image and its keys and (transposed)
        values from the tokens' (keys then values) vectors (`_heads_attention` does the rest)."""
        c, h, w = node.shape
        heads = node.attrs["heads"]
        d = c // heads
        return (
            f"WITH qh AS (  -- one row per (pixel, head): its query slice\n"
            f"  SELECT /*+ BROADCAST(r_hh) */ b, y * {w} + x AS i, hh AS h, slice(v, hh * {d} + 1, {d}) AS q\n"
            f"  FROM {inputs[0]} CROSS JOIN {self.series(heads, 'hh')}),\n"
            f"kh AS (  -- one row per (token, head): its key and value slices\n"
            f"  SELECT /*+ BROADCAST(r_hh) */ b, x AS i, hh AS h, slice(v, hh * {d} + 1, {d}) AS k,\n"
            f"         slice(v, {c} + hh * {d} + 1, {d}) AS val\n"
            f"  FROM {inputs[1]} CROSS JOIN {self.series(heads, 'hh')}),\n"
            f"heads AS (  -- values transposed: one list over the tokens per channel\n"
            f"  SELECT q.b, q.h, qs, ks, transform(sequence(0, {d - 1}), ch -> transform(vals, r -> r[ch])) AS vt\n"
            f"  FROM (SELECT b, h, {_ordered('i', 'q')} AS qs FROM qh GROUP BY b, h) AS q\n"
            f"  JOIN (SELECT b, h, {_ordered('i', 'k')} AS ks, {_ordered('i', 'val')} AS vals\n"
            f"        FROM kh GROUP BY b, h) AS k ON k.b = q.b AND k.h = q.h),\n"
            f"{self._heads_attention(d, w)}")

    def _heads_attention(self, d: int, w: int, causal: bool = False) -> str:
        """The rest of an attention, from CTE `heads`: one row per (item b, head h) holding its
        queries `qs` (in pixel order, y * w + x), its keys `ks` and its values transposed `vt` (one
        list over the keys per channel, `d` of them). Its queries are exploded, each query row
        carrying its head's keys and values with it; the heads' outputs put back side by side.
        `causal`: key j after query i is left out (a score of -inf, a weight of 0)."""
        scale = 1.0 / math.sqrt(d)
        score = f"vector_inner_product(kk, q) * {self.number(scale)}F"
        scores = f"transform(ks, kk -> {score})"
        if causal:  # key j after query i: -inf, a weight of 0
            scores = f"transform(ks, (kk, j) -> CASE WHEN j > i THEN CAST('-Infinity' AS FLOAT) ELSE {score} END)"
        return (
            f"scores AS (\n"
            f"  SELECT b, i, h, vt, {scores} AS s\n"
            f"  FROM (SELECT b, h, posexplode(qs) AS (i, q), ks, vt FROM heads) AS e),\n"
            f"weights AS (SELECT b, i, h, vt, transform(s, z -> {_f('exp(z - m)')}) AS e\n"
            f"  FROM (SELECT b, i, h, vt, s, array_max(s) AS m FROM scores) AS sm),\n"
            f"o AS (SELECT b, i, h, transform(vt, col -> {_f('vector_inner_product(col, e) / total')}) AS o\n"
            f"  FROM (SELECT b, i, h, vt, e, aggregate(e, 0D, (acc, z) -> acc + z) AS total FROM weights) AS t)\n"
            f"SELECT b, i div {w} AS y, i % {w} AS x, flatten({_ordered('h', 'o')}) AS v FROM o GROUP BY b, i")

    def lookup(self, node, inputs, table):
        """Each pixel's row of the table (one row per entry `o`): the entry its token id (v[0]) or
        its x names; the second input, if any, added."""
        index = "s.x" if node.attrs["by_position"] else "CAST(s.v[0] AS INT)"
        core = f"SELECT s.b, s.y, s.x, w.v FROM {inputs[0]} s JOIN {table} w ON w.o = {index}"
        return self.epilogue(node, core, inputs)

    def layer_norm(self, node, inputs, table):
        """Per pixel, the mean and 1/sqrt(var + eps) of its channels summed in DOUBLE (population
        variance, as torch); (x - mean) * rstd * gamma + beta rounded once per element."""
        c = node.channels
        eps = self.number(float(node.attrs["eps"]))
        out = f"transform(v, (a, k) -> {_f('(a - mu) * rs * gamma[k] + beta[k]')})"
        return (
            f"SELECT b, y, x, {out} AS v FROM (\n"
            f"  SELECT b, y, x, v, mu, 1 / sqrt(aggregate(v, 0D, (acc, a) -> acc + (a - mu) * (a - mu)) / {c} "
            f"+ {eps}) AS rs,\n"
            f"         (SELECT m[0] FROM {table}) AS gamma, (SELECT m[1] FROM {table}) AS beta FROM (\n"
            f"    SELECT b, y, x, v, aggregate(v, 0D, (acc, a) -> acc + a) / {c} AS mu FROM {inputs[0]}) AS m) AS s")

    # ---- helpers ---------------------------------------------------------------------------
    @staticmethod
    def im2col(src: str, cin: int, h: int, w: int) -> str:
        """Each pixel's 3x3 neighbourhood as one array (ky, kx, channel), zeros outside, then 1.0: the
        three cells of its image row by a window along the row, then the three rows by a window down
        the column. Windows partitioned by (b, y) and (b, x) spread one picture over every core; one
        window over (b) ordered by (y, x) would be one task per picture."""
        zero, zeros = f"array_repeat(0.0F, {cin})", f"array_repeat(0.0F, {3 * cin})"
        across = (f"SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE {zero} END, v, "
                  f"CASE WHEN x < {w - 1} THEN lead(v, 1) OVER r ELSE {zero} END) AS v3\n"
                  f"    FROM {src} WINDOW r AS (PARTITION BY b, y ORDER BY x)")
        return (f"SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE {zeros} END, v3, "
                f"CASE WHEN y < {h - 1} THEN lead(v3, 1) OVER c ELSE {zeros} END, {_ONE}) AS v\n"
                f"  FROM ({across}) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)")

    @staticmethod
    def _matmul(rows: str, keys: str, table: str) -> str:
        """Each row's vector (its last entry 1.0) times every row of the layer's matrix `m`."""
        # the matrix as a scalar subquery, not a join: Spark reads it in the driver, where a
        # broadcast join would run a job of its own to ship it
        return (f"SELECT {keys}, transform(m, r -> vector_inner_product(r, v)) AS v "
                f"FROM (SELECT g.*, (SELECT m FROM {table}) AS m FROM ({rows}) AS g) AS gm")
