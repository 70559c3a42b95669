"""Hyper: activations as one row per pixel holding the channel vector as an `array(real)`.

Measured (BENCHMARKS.md, docs/backends.md): Hyper's `dot_product` on real arrays costs 0.25 ns per
multiply-add on one core, so every matrix product is dot products of a pixel's vector with weight
rows, a block of 32 outputs per (pixel, block) pair, the blocks unnested and gathered back in order.
Hyper has no lambdas and no element-wise array arithmetic, and compiles a long select list for
0.1-0.7 s at every execution: per-channel work on images unnests the vector `WITH ORDINALITY` and
gathers it back with `array_agg(... ORDER BY k)`; only short vectors (the sampler's channels, the
time embedding) are written out with subscripts, `array[f(a.v[1]), f(a.v[2]), ...]`. `dot_product`
sums in float32, as a float32 convolution does; statistics (group norm, slerp) are summed in double.
"""

from __future__ import annotations

import math

from ...graph.ops import Node
from ..dialect import Dialect, erf_gelu, neighbourhood
from ..noise import box_muller, noise_counter

_ONE = "array[1::REAL]"
_M32 = 4294967295  # 2^32 - 1


def _hash32(x: str) -> str:
    """A 32-bit integer hash of a bigint column holding a value in [0, 2^32) (two multiply-xorshift
    rounds; the multiplier is under 2^31, so no product overflows a bigint)."""
    x = f"({x})::BIGINT"
    for _ in range(2):
        x = f"(((({x}) >> 16) # ({x})) * 73244475) & {_M32}"
    return f"((({x}) >> 16) # ({x}))"


BLOCK = 32  # outputs per (pixel, weight block) pair, at most


def block_size(outputs: int) -> int:
    """Outputs per weight row block: the largest divisor of `outputs` up to BLOCK."""
    return max(k for k in range(1, min(BLOCK, outputs) + 1) if outputs % k == 0)


def _joined(source: str, keys: str, block: str) -> str:
    """The arrays `v` of `source`, one per (keys, block), joined end to end in `block` order per key."""
    return (f"SELECT {keys}, array_agg(a ORDER BY {block}, t) AS v\n"
            f"FROM {source} AS p, unnest(p.v) WITH ORDINALITY AS u(a, t)\nGROUP BY {keys}")


class HyperDialect(Dialect):
    name = "hyper"
    real = "REAL"
    double = "DOUBLE PRECISION"

    # ---- the channel vocabulary: one array(real) `v` per row -----------------------------------
    def series(self, n: int, column: str) -> str:
        return f"generate_series(0, {n - 1}) AS r_{column}({column})"

    def channels(self, alias: str, n: int) -> str:
        return f"{alias}.v"

    def map_channels(self, n, fn, first, others=(), cast=False) -> str:
        def value(k: int) -> str:
            expr = fn(f"{first}.v[{k}]", *[f"{o}.v[{k}]" for o in others])
            return f"({expr})::REAL" if cast else f"({expr})"

        return f"array[{', '.join(value(k) for k in range(1, n + 1))}] AS v"

    def indexed_channels(self, n, fn) -> str:
        return f"array[{', '.join(f'({fn(str(k))})::REAL' for k in range(n))}] AS v"

    def dot_channels(self, n, first, second) -> str:
        # written out in double: Hyper's dot_product sums in float32
        return "(" + " + ".join(f"{first}.v[{k}]::DOUBLE PRECISION * {second}.v[{k}]" for k in range(1, n + 1)) + ")"

    def concat_channels(self, left, n_left, right, n_right) -> str:
        return f"{left}.v || {right}.v AS v"

    def silu_expr(self, z: str) -> str:
        # exp of a large argument is inf here (not an error), so z / (1 + exp(-z)) is 0 there, as torch
        return f"(({z}) / (1 + exp(-({z}))))::REAL"

    def _normals(self, n: int) -> str:
        """Select-list items over the columns `h0 .. h{n-1}` that `gaussian_noise` computes: each a
        64-bit hash of its counter and the seed, whose high and low 32 bits are the two uniforms.
        (Hyper has no hash function, and its integer hash needs its input as a column: the noise
        relation computes the hashes in layers, so the contract's one-expression `noise_channels`
        is not written here.)"""
        def normal(ch: int) -> str:
            bits = f"h{ch}"
            u1 = f"(((({bits} >> 32) & {_M32}) + 1)::DOUBLE PRECISION / 4294967296.0)"  # (0, 1]
            u2 = f"(({bits} & {_M32})::DOUBLE PRECISION / 4294967296.0)"  # [0, 1)
            return f"({box_muller(u1, u2)})::REAL"

        return f"array[{', '.join(normal(ch) for ch in range(n))}] AS v"

    def gaussian_noise(self, shape, seed, stream):
        """As the contract's, with the hash computed in layers: the counter's two 32-bit halves, the
        seed's halves, then lo' = H(lo ^ H(hi ^ H(seed_lo ^ H(seed_hi)))) and hi' = H(lo' ^ K),
        where H is `_hash32` (each layer reads the previous one's columns, keeping the SQL short)."""
        b, c, h, w = shape
        count = noise_counter(stream, h, w, c)
        seed = int(seed) & ((1 << 64) - 1)
        key = _hash32(f"{seed & _M32} # {_hash32(str(seed >> 32))}")
        keys = ", ".join(f"{self.cast(k + k, 'INTEGER')} AS {k}" for k in "byx")
        counters = ", ".join(f"{count(str(ch))} AS n{ch}" for ch in range(c))
        halves = ", ".join(f"n{ch} & {_M32} AS lo{ch}, {_hash32(f'(n{ch} >> 32) # k')} AS hi{ch}" for ch in range(c))
        low = ", ".join(f"{_hash32(f'lo{ch} # hi{ch}')} AS l{ch}" for ch in range(c))
        high = ", ".join(f"(({_hash32(f'l{ch} # 2654435769')}) << 32) | l{ch} AS h{ch}" for ch in range(c))
        return (f"SELECT {keys}, {self._normals(c)} FROM (\n"
                f"  SELECT bb, yy, xx, {high} FROM (\n"
                f"    SELECT bb, yy, xx, {low} FROM (\n"
                f"      SELECT bb, yy, xx, {halves} FROM (\n"
                f"        SELECT bb, yy, xx, {counters}, {key} AS k\n"
                f"        FROM {self.series(b, 'bb')}, {self.series(h, 'yy')}, {self.series(w, 'xx')}) n) s) l) g")

    # ---- storage of parameters: temporary tables, per process ---------------------------------
    def table(self, namespace: str, name: str) -> str:
        # Hyper keeps array columns only in temporary tables, which live in no schema: the namespace
        # is a prefix of the name
        return self.quote(f"{namespace}.{name}")

    # ---- primitives ------------------------------------------------------------------------
    def time_proj(self, node, inputs, table):
        terms = ", ".join(self.time_embedding(node, k) for k in range(node.channels))
        return f"SELECT b, array[{terms}] AS v FROM {inputs[0]}"

    def dense(self, node, inputs, table):
        src = inputs[0]
        rows = f"SELECT {self.keys('', src.is_image)}, v || {_ONE} AS v FROM {src}"
        return self._matmul(node, rows, src.is_image, table, inputs[1:])

    def conv3x3(self, node, inputs, table):
        """im2col (each pixel's 3x3 neighbourhood as one array, by window lag/lead) dotted with
        each output channel's weight row."""
        return self._matmul(node, self.conv_rows(node, inputs), True, table, inputs[1:])

    def im2col(self, src: str, channels: int, h: int, w: int) -> str:
        """Each pixel's 3x3 neighbourhood as one array (ky, kx, channel), zeros outside, then 1.0."""
        cells = neighbourhood(h, w, "z.z", alias="s")
        return (f"SELECT s.b, s.y, s.x, {' || '.join(f'({c})' for c in cells)} || {_ONE} AS v\n"
                f"  FROM {src} AS s "
                f"CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM {self.series(channels, 'zz')}) AS z\n"
                f"  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)")

    def per_element(self, node: Node, inputs: list, fn) -> str:
        """`fn` of each channel of the first input and the same channel of the others (images of one
        shape), rounded to float32: the vectors unnested side by side and gathered back in order, as
        group_norm applies its scale (one written-out term per channel compiles for seconds at
        thousands of channels)."""
        aliases = [f"r{k}" for k in range(len(inputs))]
        joins = "".join(f" JOIN {relation} AS {alias} ON {self.same_key('r0', alias, True)}"
                        for relation, alias in zip(inputs[1:], aliases[1:]))
        values = [f"a{k}" for k in range(len(inputs))]
        return (f"SELECT r0.b, r0.y, r0.x, array_agg(({fn(*(f'u.{a}' for a in values))})::REAL ORDER BY u.k) AS v\n"
                f"FROM {inputs[0]} AS r0{joins}, "
                f"unnest({', '.join(f'{a}.v' for a in aliases)}) WITH ORDINALITY AS u({', '.join(values)}, k)\n"
                f"GROUP BY r0.b, r0.y, r0.x")

    def gelu(self, node, inputs, table):
        # no tanh here; exp of a large argument is inf (not an error), so x / (1 + exp(-1.702 x)) is 0 there
        formula = (lambda a: f"{a} / (1 + exp(-1.702 * {a}))") if node.attrs["quick"] else erf_gelu
        return self.per_element(node, inputs, lambda a: formula(f"{a}::DOUBLE PRECISION"))

    def multiply(self, node, inputs, table):
        return self.per_element(node, inputs, lambda a, b: f"{a} * {b}")

    def lookup(self, node, inputs, table):
        """Each pixel's row of the table (entry `o` in `w0`): the entry its token id (v[1]) or its x
        names; the second input, if any, added element by element."""
        index = "s.x" if node.attrs["by_position"] else "CAST(s.v[1] AS INTEGER)"
        core = f"(SELECT s.b, s.y, s.x, w.w0 AS v FROM {inputs[0]} AS s JOIN {table} AS w ON w.o = {index})"
        if len(inputs) < 2:
            return core[1:-1]
        return self.per_element(node, [core, inputs[1]], lambda a, e: f"{a} + {e}")

    def layer_norm(self, node, inputs, table):
        """Per pixel, the mean and 1/sqrt(var + eps) of its channels summed in double over its
        unnested vector (population variance, as torch); (x - mean) * rstd * gamma + beta per
        element, gamma and beta unnested beside it, gathered back in channel order."""
        c = node.channels
        eps = self.number(float(node.attrs["eps"]))
        return (
            f"WITH u AS (SELECT s.b, s.y, s.x, u.a, u.k\n"
            f"           FROM {inputs[0]} AS s, unnest(s.v) WITH ORDINALITY AS u(a, k)),\n"
            f"mu AS (SELECT b, y, x, sum(a::DOUBLE PRECISION) / {c} AS mu FROM u GROUP BY b, y, x),\n"
            f"st AS (SELECT u.b, u.y, u.x, mu.mu, 1 / sqrt(sum((u.a - mu.mu) * (u.a - mu.mu)) / {c} + {eps}) AS rs\n"
            f"       FROM u JOIN mu ON mu.b = u.b AND mu.y = u.y AND mu.x = u.x GROUP BY u.b, u.y, u.x, mu.mu),\n"
            f"pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM {table} WHERE o = 0) AS ga\n"
            f"       CROSS JOIN (SELECT w0 AS beta FROM {table} WHERE o = 1) AS be,\n"
            f"       unnest(ga.gamma, be.beta) WITH ORDINALITY AS g(gm, bt, k))\n"
            f"SELECT u.b, u.y, u.x, array_agg(((u.a - st.mu) * st.rs * pk.gm + pk.bt)::REAL ORDER BY u.k) AS v\n"
            f"FROM u JOIN st ON st.b = u.b AND st.y = u.y AND st.x = u.x JOIN pk ON pk.k = u.k\n"
            f"GROUP BY u.b, u.y, u.x")

    def _matmul(self, node: Node, rows: str, image: bool, table: str, extra: list) -> str:
        """Each row's vector (its last entry 1.0) dotted with each output's weight row, a block of
        `block_size` outputs per (row, block) pair; blocks put back in order by unnesting them;
        then the residual epilogue (a second input added, a scale divided), per output channel in
        the same statement.

        Blocks, because both extremes are slow in Hyper: all outputs in one select list costs 0.1-0.7 s
        of compilation per statement at 512 outputs, one output per pair copies the row's vector
        (up to 9,217 floats) into every pair."""
        outputs = node.channels
        size = block_size(outputs)
        joins, scale = "", float(node.attrs.get("scale", 1.0))
        if extra:
            (e,) = extra
            joins = f" JOIN {e} AS e ON {self.same_key('g', 'e', e.is_image)}"

        def value(t: int) -> str:
            out = f"dot_product(g.v, w.w{t})::REAL"
            if not extra:
                return out
            out = f"{out} + e.v[w.o * {size} + {t + 1}]"
            return f"(({out}) / {self.literal(scale)})::REAL" if scale != 1.0 else f"({out})::REAL"

        products = (f"SELECT {self.keys('g', image)}, w.o, array[{', '.join(value(t) for t in range(size))}] AS v\n"
                    f"FROM ({rows}) AS g{joins} CROSS JOIN {table} AS w")
        return products if size == outputs else _joined(f"(\n{products}\n)", self.keys("p", image), "p.o")

    def group_norm(self, node, inputs, table):
        """Statistics per (item, group) from slices of each pixel's vector (sums in double over the
        pixels); mean and 1/sqrt(var + eps) (population variance, as torch) folded with gamma and
        beta into one float32 scale and shift per channel; applied per element, the pixel's vector
        unnested beside the scale and shift arrays (subscripting them per element measured 3x slower),
        and gathered back in channel order."""
        c, h, w = node.shape
        groups = node.attrs["groups"]
        size = c // groups
        n = size * h * w
        ones = f"array[{', '.join(['1::REAL'] * size)}]"
        z = "u.a * u.sc + u.sh"
        value = self.silu_expr(z) if node.attrs["silu"] else f"({z})::REAL"
        return (
            f"WITH sl AS (SELECT s.b, g, s.v[g * {size} + 1 : g * {size} + {size}] AS sl\n"
            f"            FROM {inputs[0]} AS s CROSS JOIN {self.series(groups, 'g')}),\n"
            f"st AS (SELECT b, g, sum(dot_product(sl, {ones})::DOUBLE PRECISION) / {n} AS mean,\n"
            f"              sum(dot_product(sl, sl)::DOUBLE PRECISION) / {n} AS sq FROM sl GROUP BY b, g),\n"
            f"mr AS (SELECT b, g, mean, "
            f"1 / sqrt(greatest(sq - mean * mean, 0) + {self.number(node.attrs['eps'])}) AS rstd FROM st),\n"
            f"pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM {table} WHERE o = 0) AS ga\n"
            f"       CROSS JOIN (SELECT w0 AS beta FROM {table} WHERE o = 1) AS be,\n"
            f"       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),\n"
            f"ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,\n"
            f"              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift\n"
            f"       FROM pk JOIN mr ON mr.g = (pk.k - 1) / {size} GROUP BY mr.b)\n"
            f"SELECT s.b, s.y, s.x, array_agg({value} ORDER BY u.k) AS v\n"
            f"FROM {inputs[0]} AS s JOIN ss ON ss.b = s.b, "
            f"unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)\n"
            f"GROUP BY s.b, s.y, s.x")

    def attention(self, node, inputs, table):
        """softmax(q k^T / sqrt(d)) v per head over the pixels: one row per (item, pixel, head) with
        its query, key and value slices, the query side and the key side of `_attention`."""
        c, h, w = node.shape
        d = c // node.attrs["heads"]
        slices = (f"WITH hd AS (SELECT b, y * {w} + x AS i, h, v[h * {d} + 1 : h * {d} + {d}] AS q,\n"
                  f"                   v[{c} + h * {d} + 1 : {c} + h * {d} + {d}] AS k,\n"
                  f"                   v[{2 * c} + h * {d} + 1 : {2 * c} + h * {d} + {d}] AS val\n"
                  f"            FROM {inputs[0]} AS s CROSS JOIN {self.series(node.attrs['heads'], 'h')}),\n")
        return slices + self._attention(node, "hd", "hd")

    def cross_attention(self, node, inputs, table):
        """softmax(q k^T / sqrt(d)) v per head of each pixel's query over the text's tokens: the
        queries' slices per (item, pixel, head), the keys' and values' per (item, token, head)."""
        c, h, w = node.shape
        d = c // node.attrs["heads"]
        heads = self.series(node.attrs["heads"], "h")
        slices = (f"WITH qh AS (SELECT b, y * {w} + x AS i, h, v[h * {d} + 1 : h * {d} + {d}] AS q\n"
                  f"            FROM {inputs[0]} AS s CROSS JOIN {heads}),\n"
                  f"kh AS (SELECT b, x AS i, h, v[h * {d} + 1 : h * {d} + {d}] AS k,\n"
                  f"              v[{c} + h * {d} + 1 : {c} + h * {d} + {d}] AS val\n"
                  f"       FROM {inputs[1]} AS s CROSS JOIN {heads}),\n")
        return slices + self._attention(node, "qh", "kh")

    def _attention(self, node: Node, queries: str, keys: str) -> str:
        """The rest of an attention from CTEs `queries` (b, i, h, q: a query slice per item, query
        index and head) and `keys` (b, i, h, k, val: a key and a value slice per item, key index and
        head), in narrow statements (wide select lists cost Hyper 0.1-0.3 s each to compile): one row
        per (item, query, head, key) with its score; the exponentials exp(s - max) gathered per
        (item, query, head) into an array over the keys, dotted with each of the head's value
        channels gathered over the keys (v transposed), divided by their sum; the heads' outputs put
        back side by side."""
        c, h, w = node.shape
        heads = node.attrs["heads"]
        d = c // heads
        scale = 1.0 / math.sqrt(d)
        score, weight = "s", "exp(sc.s - mx.m)"
        if node.attrs.get("causal"):  # the keys after each query: no part in its max, a weight of 0
            score, weight = "CASE WHEN j <= i THEN s END", f"CASE WHEN sc.j <= sc.i THEN {weight} ELSE 0 END"
        vt = ", ".join(f"array_agg(val[{t + 1}] ORDER BY i) AS t{t}" for t in range(d))
        outs = ", ".join(f"(dot_product(e.e, vt.t{t}) / e.total)::REAL" for t in range(d))
        return (
            f"sc AS (SELECT q.b, q.i, q.h, k.i AS j, (dot_product(q.q, k.k) * {self.number(scale)}::REAL)::REAL AS s\n"
            f"       FROM {queries} AS q JOIN {keys} AS k ON k.b = q.b AND k.h = q.h),\n"
            f"mx AS (SELECT b, i, h, max({score}) AS m FROM sc GROUP BY b, i, h),\n"
            f"ex AS (SELECT sc.b, sc.i, sc.h, sc.j, {weight}::REAL AS e "
            f"FROM sc JOIN mx ON mx.b = sc.b AND mx.i = sc.i AND mx.h = sc.h),\n"
            f"e AS (SELECT b, i, h, array_agg(e ORDER BY j) AS e, sum(e::DOUBLE PRECISION) AS total "
            f"FROM ex GROUP BY b, i, h),\n"
            f"vt AS (SELECT b, h, {vt} FROM {keys} GROUP BY b, h),\n"
            f"o AS (SELECT e.b, e.i / {w} AS y, e.i % {w} AS x, e.h, array[{outs}] AS v\n"
            f"      FROM e JOIN vt ON vt.b = e.b AND vt.h = e.h)\n"
            f"{_joined('o', 'p.b, p.y, p.x', 'p.h')}")
