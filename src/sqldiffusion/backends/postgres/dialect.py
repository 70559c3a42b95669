"""PostgreSQL: pure SQL, no extensions, no procedural language. One column per channel.

Measured: in PostgreSQL a sum of products written out column by column is 5-10x faster
than dot products over arrays (`unnest`) and 15x faster than one row per scalar. So an activation is
one row per pixel with one REAL column per channel, `(b, y, x, c0, c1, ...)`, and a weight table
has one row per output channel (per kernel tap for 3x3 convolutions) with one column per input
channel, `(o, [ky, kx,] w0, w1, ..., bias)`. A matrix product joins every pixel with every weight
row, evaluates the written-out sum, and pivots the per-(pixel, output) scalars back into columns.

PostgreSQL raises errors where other engines return inf or 0 (exp overflow and underflow), so
sigmoids are written with tanh and softmax exponents are bounded below.

A VQModel's codebook is read straight from its embedding table, a row per code (the lowered op
CODEBOOK), rather than as the dense layer over one-hot vectors the graph builds: a one-hot vector has
a column per code, and a codebook may have more codes than a table has columns (MAX_COLUMNS).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import replace

from ...graph.ops import Graph, Node
from ..dialect import Dialect
from ..noise import box_muller

MAX_COLUMNS = 1600  # PostgreSQL's limit per table
MAX_NAME = 63  # bytes of an identifier: PostgreSQL cuts longer ones (NAMEDATALEN - 1)


def stored_name(name: str) -> str:
    """The name of a layer's table: the layer's name, or where that is longer than PostgreSQL keeps
    (a transformer's feed-forward in a deep block) its first 48 bytes and a digest of it, so that
    the catalogue holds the name the statements use and two long names never meet."""
    raw = name.encode()
    if len(raw) <= MAX_NAME:
        return name
    return raw[:48].decode(errors="ignore") + "~" + hashlib.sha256(raw).hexdigest()[:14]


def cols(n: int, prefix: str = "c", alias: str = "") -> list[str]:
    return [f"{alias}{prefix}{i}" for i in range(n)]


def _silu(z: str) -> str:
    # z * sigmoid(z) = z * (1 + tanh(z / 2)) / 2: no exp overflow for very negative z
    return f"(({z}) * (0.5 + 0.5 * tanh(({z}) / 2)))::REAL"


CODEBOOK = "codebook"  # the lowered op: a row per code, its vector read from the embedding table
CHUNK = 640  # input channels per join: both sides' columns must fit in one 1,664-column row


def _dots(cin: int, param: str) -> list[tuple[str, str]]:
    """Per block of CHUNK input channels: the weight rows of that block, and the written-out dot
    product of a pixel's channels with a row (REAL times DOUBLE: one exact float48mul per term)."""
    return [(f"(SELECT * FROM {param} WHERE k = {k})",
             " + ".join(f"a.c{lo + i} * w.w{i}" for i in range(min(CHUNK, cin - lo))))
            for k, lo in enumerate(range(0, cin, CHUNK))]


def _fenced_union(parts: list[str]) -> str:
    """The parts one after another, behind an optimisation fence (OFFSET 0): the planner must take
    the dot products before it groups, or it sorts the full-width joined rows (measured: 3x slower)."""
    return "\nUNION ALL\n".join(parts) + "\nOFFSET 0"


class PostgresDialect(Dialect):
    name = "postgres"
    lowered_ops = {CODEBOOK: "codebook"}

    def lower(self, graph: Graph) -> Graph:
        """A codebook read as a dense layer over one-hot vectors of its codes (codes -> one_hot ->
        dense) becomes one CODEBOOK node over the codes, reading the same table; the one-hot node
        goes, and the nodes after it are numbered down."""
        readers: dict[int, int] = {}
        for node in graph.nodes:
            for i in node.inputs:
                readers[i] = readers.get(i, 0) + 1
        chains = {node.id: graph[node.inputs[0]] for node in graph.nodes
                  if node.op == "dense" and node.layer is not None and node.layer.packing == "embedding"
                  and graph[node.inputs[0]].op == "one_hot" and readers[node.inputs[0]] == 1
                  and graph[graph[node.inputs[0]].inputs[0]].op == "codes"}
        if not chains:
            return graph
        gone = {hot.id for hot in chains.values()}
        ids: dict[int, int] = {}
        lowered = Graph()
        for node in graph.nodes:
            if node.id in gone:
                continue
            if node.id in chains:
                hot = chains[node.id]
                node = replace(node, op=CODEBOOK, inputs=hot.inputs, attrs={"codes": hot.attrs["classes"]})
            ids[node.id] = len(lowered.nodes)
            lowered.nodes.append(replace(node, id=ids[node.id], inputs=tuple(ids[i] for i in node.inputs)))
        lowered.output = ids[graph.output]
        return lowered

    # ---- the channel vocabulary: one REAL column c0, c1, ... per channel ----------------------
    def table(self, namespace: str, name: str) -> str:
        return f"{self.quote(namespace)}.{self.quote(stored_name(name))}"

    def series(self, n: int, column: str) -> str:
        return f"generate_series(0, {n - 1}) AS r_{column}({column})"

    def channels(self, alias: str, n: int) -> str:
        return ", ".join(cols(n, alias=f"{alias}."))

    def map_channels(self, n, fn, first, others=(), cast=False) -> str:
        def value(i: int) -> str:
            expr = fn(f"{first}.c{i}", *[f"{o}.c{i}" for o in others])
            return f"({expr})::REAL" if cast else expr

        return ", ".join(f"{value(i)} AS c{i}" for i in range(n))

    def indexed_channels(self, n, fn) -> str:
        return ", ".join(f"({fn(str(k))})::REAL AS c{k}" for k in range(n))

    def dot_channels(self, n, first, second) -> str:
        return "(" + " + ".join(f"{first}.c{i}::float8 * {second}.c{i}" for i in range(n)) + ")"

    def concat_channels(self, left, n_left, right, n_right) -> str:
        return ", ".join([*cols(n_left, alias=f"{left}."), *(f"{right}.c{i} AS c{n_left + i}" for i in range(n_right))])

    def silu_expr(self, z: str) -> str:
        return _silu(z)

    def noise_channels(self, n, counter, seed) -> str:
        """Each channel's counter hashed with the seed by PostgreSQL's built-in 64-bit hash; its two
        32-bit halves are the uniforms."""
        def normal(ch: int) -> str:
            bits = f"hashint8extended({counter(str(ch))}, {int(seed)})"
            u1 = f"((({bits} >> 32) + 2147483649)::float8 / 4294967296.0)"  # (0, 1]
            u2 = f"(({bits} & 4294967295)::float8 / 4294967296.0)"  # [0, 1)
            return f"({box_muller(u1, u2)})::REAL AS c{ch}"

        return ", ".join(normal(ch) for ch in range(n))

    # ---- primitives ------------------------------------------------------------------------
    def time_proj(self, node, inputs, table):
        terms = ", ".join(f"{self.time_embedding(node, k)} AS c{k}" for k in range(node.channels))
        return f"SELECT b, {terms} FROM {inputs[0]}"

    def dense(self, node, inputs, table):
        src = inputs[0]
        cin = src.shape[0]
        keys = self.keys("a", src.is_image)
        parts = [f"SELECT {keys}, w.o, w.bias, {dot} AS part FROM {src} a CROSS JOIN {rows} w"
                 for rows, dot in _dots(cin, table)]
        names = self.keys("", src.is_image)
        scalars = (f"SELECT {names}, o, (sum(part) + min(bias))::REAL AS v FROM (\n{_fenced_union(parts)}\n) AS d "
                   f"GROUP BY {names}, o")
        return self.epilogue(node, self._pivot(node, scalars), inputs)

    def conv3x3(self, node, inputs, table):
        src, (cin, h, w) = self.conv_source(node, inputs)
        stride, pad = node.attrs["stride"], node.attrs["pad"]
        _, oh, ow = node.shape
        # input pixel (y, x) reaches output (oy, ox) through tap (ky, kx) when y = stride * oy + ky - pad
        oy, ox = f"(a.y - w.ky + {pad})", f"(a.x - w.kx + {pad})"
        where = [f"{oy} >= 0", f"{ox} >= 0", f"{oy} < {stride * oh}", f"{ox} < {stride * ow}"]
        if stride > 1:
            where += [f"{oy} % {stride} = 0", f"{ox} % {stride} = 0"]
        parts = [f"SELECT a.b, {oy} / {stride} AS y, {ox} / {stride} AS x, w.o, w.bias, {dot} AS part\n"
                 f"FROM {src} a CROSS JOIN {rows} w\nWHERE {' AND '.join(where)}" for rows, dot in _dots(cin, table)]
        scalars = (f"SELECT b, y, x, o, (sum(part) + min(bias))::REAL AS v FROM (\n{_fenced_union(parts)}\n) AS d "
                   f"GROUP BY b, y, x, o")
        return self.epilogue(node, self._pivot(node, scalars), inputs)

    def group_norm(self, node, inputs, table):
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
        rstd = ", ".join(f"m.m{g}, 1 / sqrt(v.v{g} + {self.number(node.attrs['eps'])}) AS r{g}" for g in range(groups))
        # MATERIALIZED everywhere: inlined, each of the C output expressions would carry a copy of the
        # statistics' and parameters' expressions, and planning grows with C squared (1 GB at C = 1024)
        return (f"WITH m AS MATERIALIZED (SELECT b, {means} FROM {src} GROUP BY b),\n"
                f"v AS MATERIALIZED (SELECT x.b, {variances} FROM {src} x JOIN m ON m.b = x.b GROUP BY x.b),\n"
                f"s AS MATERIALIZED (SELECT m.b, {rstd} FROM m JOIN v ON v.b = m.b),\n"
                f"ga AS MATERIALIZED (SELECT ARRAY[{weights}]::float8[] AS v FROM {table} WHERE o = 0),\n"
                f"be AS MATERIALIZED (SELECT ARRAY[{weights}]::float8[] AS v FROM {table} WHERE o = 1)\n"
                f"SELECT x.b, x.y, x.x, {', '.join(out)}\n"
                f"FROM {src} x JOIN s ON s.b = x.b CROSS JOIN ga CROSS JOIN be")

    def attention(self, node, inputs, table):
        """softmax(q k^T / sqrt(d)) v per head over the pixels: queries, keys and values side by side
        in each pixel's row (`_attention`)."""
        c = node.channels
        return self._attention(node, inputs[0], inputs[0], c, 2 * c)

    def cross_attention(self, node, inputs, table):
        """softmax(q k^T / sqrt(d)) v per head of each pixel's query over the text's tokens, whose
        rows hold the keys then the values (`_attention`)."""
        return self._attention(node, inputs[0], inputs[1], 0, node.channels)

    def _attention(self, node: Node, queries, keys, k_at: int, v_at: int) -> str:
        """Each query pixel's scores against every key row (keys and values: the columns from
        `k_at` and `v_at` of relation `keys`), per head, a softmax over them, and the weighted
        sum of the values."""
        c, h, w = node.shape
        heads = node.attrs["heads"]
        d = c // heads
        scale = 1.0 / math.sqrt(d)
        scores = ", ".join(
            f"(({' + '.join(f'q.c{hd * d + k}::float8 * k.c{k_at + hd * d + k}' for k in range(d))})"
            f" * {self.number(scale)}::REAL)::REAL AS s{hd}"
            for hd in range(heads))
        maxes = ", ".join(f"max(s{hd}) OVER win AS m{hd}" for hd in range(heads))
        exps = ", ".join(f"exp(greatest(s{hd} - m{hd}, -700)) AS e{hd}" for hd in range(heads))
        probs = ", ".join(f"(e{hd} / sum(e{hd}) OVER win)::REAL AS p{hd}" for hd in range(heads))
        outs = ", ".join(f"sum(p.p{i // d}::float8 * v.c{v_at + i})::REAL AS c{i}" for i in range(c))
        # causal: the keys after each query are left out of its softmax (a weight of 0)
        causal = f" AND k.y * {w} + k.x <= q.y * {w} + q.x" if node.attrs.get("causal") else ""
        return (f"WITH sc AS MATERIALIZED (SELECT q.b, q.y, q.x, k.y AS ky, k.x AS kx, {scores}\n"
                f"            FROM {queries} q JOIN {keys} k ON k.b = q.b{causal}),\n"
                f"ex AS MATERIALIZED (SELECT b, y, x, ky, kx, {exps} "
                f"FROM (SELECT *, {maxes} FROM sc WINDOW win AS (PARTITION BY b, y, x)) t),\n"
                f"p AS MATERIALIZED (SELECT b, y, x, ky, kx, {probs} FROM ex WINDOW win AS (PARTITION BY b, y, x))\n"
                f"SELECT p.b, p.y, p.x, {outs}\n"
                f"FROM p JOIN {keys} v ON v.b = p.b AND v.y = p.ky AND v.x = p.kx\n"
                f"GROUP BY p.b, p.y, p.x")

    def codebook(self, node, inputs, table):
        """A row per code of the codes relation (b its index), its vector: the code's column of the
        embedding table (rows o the features, CHUNK codes per block k), unpivoted. The same float32
        values the dense layer over one-hot vectors gives (1 * w, the zeros and the zero bias add nothing)."""
        width = min(CHUNK, node.attrs["codes"])
        values = ", ".join(cols(width, "w", "w."))
        picks = ", ".join(f"e.v[{i + 1}]::REAL AS c{i}" for i in range(node.channels))
        return (f"SELECT c.b, {picks}\nFROM {inputs[0]} c JOIN (\n"
                f"  SELECT w.k * {CHUNK} + u.j - 1 AS code, array_agg(u.v ORDER BY w.o) AS v\n"
                f"  FROM {table} w CROSS JOIN LATERAL unnest(ARRAY[{values}]) WITH ORDINALITY AS u(v, j)\n"
                f"  GROUP BY 1) AS e ON e.code = c.b")

    def lookup(self, node, inputs, table):
        """Each pixel's row of the table (one row per entry `o`, a column per feature): the entry
        its token id (c0) or its x names; the second input, if any, added."""
        index = "s.x" if node.attrs["by_position"] else "s.c0::INTEGER"
        picks = ", ".join(f"w.w{i} AS c{i}" for i in range(node.channels))
        core = f"SELECT s.b, s.y, s.x, {picks} FROM {inputs[0]} s JOIN {table} w ON w.o = {index}"
        return self.epilogue(node, core, inputs)

    def layer_norm(self, node, inputs, table):
        """Per pixel, the mean of its channels, then 1/sqrt(var + eps) (population variance, as
        torch), in float8; (x - mean) * rstd * gamma + beta rounded once per channel. MATERIALIZED,
        as group_norm's: inlined, every output column would carry the statistics' expressions."""
        src, c = inputs[0], node.channels
        mean = " + ".join(f"x.c{i}::float8" for i in range(c))
        square = " + ".join(f"(x.c{i} - m.mu) ^ 2" for i in range(c))
        weights = ", ".join(cols(c, "w"))
        out = ", ".join(f"((x.c{i} - s.mu) * s.rs * ga.v[{i + 1}] + be.v[{i + 1}])::REAL AS c{i}" for i in range(c))
        same = "s.b = x.b AND s.y = x.y AND s.x = x.x"
        return (f"WITH m AS MATERIALIZED (SELECT x.b, x.y, x.x, ({mean}) / {c} AS mu FROM {src} x),\n"
                f"s AS MATERIALIZED (SELECT m.b, m.y, m.x, m.mu, "
                f"1 / sqrt(({square}) / {c} + {self.number(float(node.attrs['eps']))}) AS rs\n"
                f"  FROM {src} x JOIN m ON m.b = x.b AND m.y = x.y AND m.x = x.x),\n"
                f"ga AS MATERIALIZED (SELECT ARRAY[{weights}]::float8[] AS v FROM {table} WHERE o = 0),\n"
                f"be AS MATERIALIZED (SELECT ARRAY[{weights}]::float8[] AS v FROM {table} WHERE o = 1)\n"
                f"SELECT x.b, x.y, x.x, {out}\n"
                f"FROM {src} x JOIN s ON {same} CROSS JOIN ga CROSS JOIN be")

    # ---- helpers ---------------------------------------------------------------------------
    def _pivot(self, node: Node, scalars: str) -> str:
        """(keys, o, v) scalars -> one row per key with one column per output channel."""
        keys = "b, y, x" if node.is_image else "b"
        picks = ", ".join(f"v[{i + 1}] AS c{i}" for i in range(node.channels))
        return (f"SELECT {keys}, {picks} FROM (\n"
                f"  SELECT {keys}, array_agg(v ORDER BY o) AS v FROM (\n{scalars}\n  ) AS sc GROUP BY {keys}) AS pv")
