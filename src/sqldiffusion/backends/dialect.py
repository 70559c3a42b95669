"""The dialect base: what SQL a backend writes, one `Dialect` per engine (`backends/<name>/dialect.py`).

The abstract methods below are what a backend must write; everything else here is written once
for all backends, built from those methods and a few facts (type names, the series function).

Relations every program reads and writes:
- an *image* relation has one row per pixel, keyed (b, y, x), holding the pixel's channels;
- a *vector* relation has one row per batch item, keyed (b), holding a vector's channels.
How the channels of a row are held (one list column, one column per channel, ...) is the
backend's choice: `channels` and `map_channels` are its whole vocabulary for them here.

The rest of what a backend fills in: `engine.py` (the `Engine`: how to run it), `storage.py`
(the `Storage`: how it holds tensors) and `noise.py` (the counter and transform its noise is
drawn from). `docs/backends.md` tells how to add one.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from ..graph.ops import OPS, Graph, Layer, Node
from ..literals import number
from ..program import SAMPLE, Relation
from .noise import noise_counter


class Dialect(ABC):
    """Renders each primitive of a lowered graph, and the sampler's SQL, for one engine."""

    name: str = ""
    real: str = "REAL"  # the float32 type
    double: str = "DOUBLE PRECISION"  # the float64 type
    # primitives a lowering introduces, by op: the method rendering each (besides graph.ops.OPS)
    lowered_ops: dict[str, str] = {}

    # ---- facts a backend states -------------------------------------------------------------
    @abstractmethod
    def series(self, n: int, column: str) -> str:
        """A FROM item with one integer column named `column` holding 0 .. n-1."""

    @abstractmethod
    def channels(self, alias: str, n: int) -> str:
        """The select-list items passing a row's `n` channels through unchanged."""

    @abstractmethod
    def map_channels(self, n: int, fn: Callable[..., str], first: str, others: Sequence[str] = (),
                     cast: bool = False) -> str:
        """Select-list items computing each of `n` output channels as `fn(x, *ys)`, where `x` is
        that channel of relation alias `first` and `ys` the same channel of each alias in `others`.
        `cast`: the expression may be wider than float32 and must be rounded to it."""

    @abstractmethod
    def dot_channels(self, n: int, first: str, second: str) -> str:
        """An expression: the sum over a row's `n` channels of first * second (two relation
        aliases), in float64."""

    @abstractmethod
    def concat_channels(self, left: str, n_left: int, right: str, n_right: int) -> str:
        """Select-list items: the channels of `left` followed by those of `right`."""

    @abstractmethod
    def indexed_channels(self, n: int, fn: Callable[[str], str]) -> str:
        """Select-list items making `n` channels, channel k the float32 value of `fn(k)`, where
        `k` is an integer expression of the channel's index, 0 .. n-1."""

    @abstractmethod
    def silu_expr(self, z: str) -> str:
        """z * sigmoid(z) rounded to float32, for one scalar expression `z`."""

    def noise_channels(self, n: int, counter: Callable[[str], str], seed: int) -> str:
        """Select-list items: `n` standard normal channels, channel `ch` from the 64-bit counter
        `counter(ch)` hashed with `seed`, through `box_muller` of two uniforms from its bits. A
        dialect that cannot hash in one expression overrides `gaussian_noise` instead (Hyper)."""
        raise NotImplementedError(f"{self.name} writes neither noise_channels nor a gaussian_noise of its own")

    # ---- the primitives (graph.ops.OPS) -------------------------------------------------------
    @abstractmethod
    def time_proj(self, node: Node, inputs: list[Relation], table: str | None) -> str: ...

    @abstractmethod
    def dense(self, node: Node, inputs: list[Relation], table: str | None) -> str: ...

    @abstractmethod
    def conv3x3(self, node: Node, inputs: list[Relation], table: str | None) -> str: ...

    @abstractmethod
    def group_norm(self, node: Node, inputs: list[Relation], table: str | None) -> str: ...

    @abstractmethod
    def attention(self, node: Node, inputs: list[Relation], table: str | None) -> str: ...

    # ---- storage of parameters ----------------------------------------------------------------
    def lower(self, graph: Graph) -> Graph:
        """The graph as this backend computes it (default: as built)."""
        return graph

    def stored_layers(self, graph: Graph) -> list[Layer]:
        """The parameter tables an import creates for a model whose graph (at the smallest size) is
        `graph`: every layer a lowered graph of the model, at any image size, may read."""
        return self.lower(graph).layers

    number = staticmethod(number)  # a finite number as a literal (literals.py): no other value enters SQL text

    @staticmethod
    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def table(self, namespace: str, name: str) -> str:
        return f"{self.quote(namespace)}.{self.quote(name)}"

    # ---- written once for every backend -------------------------------------------------------
    def select(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        """The SELECT computing `node` from its input relations and its parameter table."""
        if node.op in OPS:
            method = node.op
        elif node.op in self.lowered_ops:
            method = self.lowered_ops[node.op]
        else:
            raise ValueError(f"the {self.name} dialect cannot render op {node.op!r}")
        return getattr(self, method)(node, inputs, table)

    def cast(self, expr: str, type_name: str) -> str:
        return f"({expr})::{type_name}"

    def float32(self, expr: str) -> str:
        """`expr` rounded to float32; a bare name, number or call is cast without parentheses."""
        return f"{expr}::{self.real}" if _is_atom(expr) else self.cast(expr, self.real)

    def time_embedding(self, node: Node, channel: int | str) -> str:
        """Channel `channel` (a number, or an integer expression such as a lambda's variable) of
        diffusers' get_timestep_embedding of the column t, rounded to float32 after every step, as
        torch rounds: exponent_i = -ln(10000) * i, / (half - shift), exp, times t, then sin or cos
        ([sin, cos], or [cos, sin] when flip_sin_to_cos). The one place that rounding is written."""
        half, shift = node.channels // 2, node.attrs["freq_shift"]
        first, second = ("cos", "sin") if node.attrs["flip_sin_to_cos"] else ("sin", "cos")
        f32 = self.float32

        def value(fn: str, i: str) -> str:
            exponent = f32(f"{f32(number(-math.log(10000.0)))} * {f32(i)}")
            frequency = f32(f"exp({f32(f'{exponent} / {f32(number(half - shift))}')})")
            argument = f32(f"{f32('t')} * {frequency}")
            return f32(f"{fn}({argument})")

        if isinstance(channel, int):
            return value(first, str(channel)) if channel < half else value(second, str(channel - half))
        return (f"CASE WHEN {channel} < {half} THEN {value(first, channel)} "
                f"ELSE {value(second, f'{channel} - {half}')} END")

    def literal(self, value: float) -> str:
        """A float32 constant."""
        return f"{self.number(float(value))}::{self.real}"

    @staticmethod
    def keys(alias: str, image: bool) -> str:
        prefix = f"{alias}." if alias else ""
        return ", ".join(f"{prefix}{k}" for k in (("b", "y", "x") if image else ("b",)))

    @staticmethod
    def same_key(left: str, right: str, image: bool) -> str:
        return " AND ".join(f"{right}.{k} = {left}.{k}" for k in (("b", "y", "x") if image else ("b",)))

    def timesteps(self, values: Sequence[float]) -> str:
        """The TIMESTEPS relation (b, t): one timestep per batch item."""
        rows = ", ".join(f"({b}, {self.number(float(t))})" for b, t in enumerate(values))
        return f"SELECT b, {self.cast('t', self.double)} AS t FROM (VALUES {rows}) AS v(b, t)"

    def sample(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        """center_input_sample: 2 * x - 1."""
        two, one = f"2::{self.real}", f"1::{self.real}"
        return (f"SELECT {self.keys('x', True)}, "
                f"{self.map_channels(node.channels, lambda a: f'{two} * {a} - {one}', 'x')} FROM {SAMPLE} x")

    def silu(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        src = inputs[0]
        return (f"SELECT {self.keys('x', src.is_image)}, {self.map_channels(node.channels, self.silu_expr, 'x')} "
                f"FROM {src} x")

    def concat(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        (h, s), (c1, c2) = inputs, (inputs[0].channels, inputs[1].channels)
        return (f"SELECT {self.keys('h', True)}, {self.concat_channels('h', c1, 's', c2)}\n"
                f"FROM {h} h JOIN {s} s ON {self.same_key('h', 's', True)}")

    def one_hot(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        """1 at each item's class label (column t), 0 elsewhere: times an embedding table stored as
        a dense layer, it picks the label's row exactly."""
        n = node.attrs["classes"]
        return (f"SELECT b, {self.indexed_channels(n, lambda k: f'CASE WHEN t = {k} THEN 1 ELSE 0 END')} "
                f"FROM {inputs[0]}")

    def vector_of(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        return f"SELECT c.b, {self.channels('c', node.channels)} FROM {inputs[0]} c"

    def upsample(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        c = inputs[0].channels
        return f"SELECT u.b, u.y, u.x, {self.channels('u', c)} FROM {self.upsampled(inputs[0].name, c)} AS u"

    def avg_pool(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        """Each output pixel the mean of its 2x2 block: the block's top-left pixel joined with its
        three neighbours."""
        src, c = inputs[0], inputs[0].channels
        others = {"p1": (0, 1), "p2": (1, 0), "p3": (1, 1)}
        joins = "".join(f"\nJOIN {src} {a} ON {a}.b = p0.b AND {a}.y = p0.y + {dy} AND {a}.x = p0.x + {dx}"
                        for a, (dy, dx) in others.items())
        quarter = self.literal(0.25)
        def mean(p: str, q: str, r: str, s: str) -> str:
            return f"({p} + {q} + {r} + {s}) * {quarter}"

        return (f"SELECT p0.b, {self.half('p0.y')} AS y, {self.half('p0.x')} AS x, "
                f"{self.map_channels(c, mean, 'p0', list(others), cast=True)}\nFROM {src} p0{joins}\n"
                f"WHERE p0.y % 2 = 0 AND p0.x % 2 = 0")

    def scale_shift(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        """x * (1 + scale) + shift per pixel and channel, scale and shift one vector per item
        (a resnet's time embedding with resnet_time_scale_shift "scale_shift"), then silu."""
        x, scale, shift = inputs
        one = self.literal(1.0)

        def modulated(a: str, s: str, t: str) -> str:
            z = f"({a} * ({one} + {s}) + {t})"
            return self.silu_expr(z) if node.attrs["silu"] else z

        return (f"SELECT {self.keys('x', True)}, "
                f"{self.map_channels(node.channels, modulated, 'x', ['ps', 'pt'], cast=not node.attrs['silu'])}\n"
                f"FROM {x} x JOIN {scale} ps ON ps.b = x.b JOIN {shift} pt ON pt.b = x.b")

    def upsampled(self, src: str, channels: int) -> str:
        """Nearest 2x: each pixel of `src` becomes a 2x2 block (a FROM item)."""
        return (f"(SELECT s.b, 2 * s.y + u.dy AS y, 2 * s.x + u.dx AS x, {self.channels('s', channels)} "
                f"FROM {src} s CROSS JOIN (VALUES (0, 0), (0, 1), (1, 0), (1, 1)) AS u(dy, dx))")

    def conv_source(self, node: Node, inputs: list[Relation]) -> tuple[str, tuple[int, int, int]]:
        """The relation a 3x3 convolution reads (a FROM item), upsampled first if the node says so,
        and its shape (channels, height, width)."""
        src, (cin, h, w) = inputs[0].name, inputs[0].shape
        if node.attrs["upsample"]:
            return self.upsampled(src, cin), (cin, 2 * h, 2 * w)
        return src, (cin, h, w)

    def im2col(self, src: str, channels: int, h: int, w: int) -> str:
        """For backends that hold a pixel's channels in one vector: rows (b, y, x, v) where `v` is
        each pixel's 3x3 neighbourhood (ky, kx, channel) of `src`, zeros outside, then 1.0 (the bias)."""
        raise NotImplementedError(f"the {self.name} dialect has no im2col")

    def half(self, column: str) -> str:
        """Integer division of an integer column by 2."""
        return f"{column} / 2"

    def conv_rows(self, node: Node, inputs: list[Relation]) -> str:
        """The rows (b, y, x, v) a direct 3x3 convolution multiplies by its weight rows: `im2col` of
        its source, and with stride 2 only the pixels an output is centred on: input (2oy, 2ox) with
        padding 1, (2oy+1, 2ox+1) with diffusers' asymmetric (0, 1, 0, 1) padding (out-of-range
        neighbours are zeros either way)."""
        src, (cin, h, w) = self.conv_source(node, inputs)
        rows = self.im2col(src, cin, h, w)
        if node.attrs["stride"] == 2:
            centre = 1 - node.attrs["pad"]
            rows = (f"SELECT b, {self.half('y')} AS y, {self.half('x')} AS x, v FROM ({rows}) AS g "
                    f"WHERE y % 2 = {centre} AND x % 2 = {centre}")
        return rows

    def epilogue(self, node: Node, core: str, inputs: list[Relation]) -> str:
        """`core` plus the node's second input, if any (a per-item vector or a same-shaped image),
        then divided by the node's scale: the residual connections of the UNet."""
        if len(inputs) < 2:
            return core
        scale = float(node.attrs.get("scale", 1.0))
        add = (lambda a, e: f"{a} + {e}") if scale == 1.0 else (lambda a, e: f"({a} + {e}) / {self.literal(scale)}")
        return (f"SELECT {self.keys('c', node.is_image)}, {self.map_channels(node.channels, add, 'c', ['e'])}\n"
                f"FROM (\n{core}\n) AS c JOIN {inputs[1]} e ON {self.same_key('c', 'e', inputs[1].is_image)}")

    def pixelwise(self, channels: int, formula: Callable[..., str], relations: Sequence[str],
                  coefficients: str | None = None) -> str:
        """Image relations of one shape combined pixel by pixel and channel by channel:
        `formula(x, *ys)` of that channel's expression in each relation, in order; the columns of
        `coefficients` (one row) are c.<name>. Rounded to float32."""
        aliases = [f"r{k}" for k in range(len(relations))]
        joins = "".join(f"\nJOIN {relation} {alias} ON {self.same_key('r0', alias, True)}"
                        for relation, alias in zip(relations[1:], aliases[1:]))
        cross = f"\nCROSS JOIN {coefficients} c" if coefficients else ""
        return (f"SELECT {self.keys('r0', True)}, "
                f"{self.map_channels(channels, formula, 'r0', aliases[1:], cast=True)}\n"
                f"FROM {relations[0]} r0{joins}{cross}")

    def gaussian_noise(self, shape: tuple[int, int, int, int], seed: int, stream: int) -> str:
        """Standard normal noise (B, C, H, W): the same seed, stream and image index give the same
        numbers whatever the batch size, thread count or row order."""
        b, c, h, w = shape
        keys = ", ".join(f"{self.cast(k + k, 'INTEGER')} AS {k}" for k in "byx")
        return (f"SELECT {keys}, {self.noise_channels(c, noise_counter(stream, h, w, c), seed)}\n"
                f"FROM {self.series(b, 'bb')}, {self.series(h, 'yy')}, {self.series(w, 'xx')}")

    # ---- the autoencoders' primitives, written once over the channel vocabulary -----------------
    def elementwise(self, node: Node, inputs: list[Relation], fn: Callable[..., str]) -> str:
        """`fn` of each channel of the node's first input and the same channel of the others (images
        of one shape, joined pixel by pixel), computed in float64 and rounded once to float32."""
        aliases = [f"r{k}" for k in range(len(inputs))]
        joins = "".join(f" JOIN {relation} {alias} ON {self.same_key('r0', alias, True)}"
                        for relation, alias in zip(inputs[1:], aliases[1:]))
        return (f"SELECT {self.keys('r0', True)}, "
                f"{self.map_channels(node.channels, fn, 'r0', aliases[1:], cast=True)}\n"
                f"FROM {inputs[0]} r0{joins}")

    def relu(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        zero = self.literal(0.0)
        return self.elementwise(node, inputs, lambda a: f"CASE WHEN {a} > {zero} THEN {a} ELSE {zero} END")

    def tanh_clamp(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        """tanh(x / limit) * limit, tanh written as 1 - 2 / (exp(2z) + 1) in float64 (every engine has
        exp; exp of a large z is infinite or refused, so z is held to +-20, where tanh is 1 in float64)."""
        limit = self.number(float(node.attrs["limit"]))

        def clamp(a: str) -> str:
            z = f"greatest(-20.0, least(20.0, {self.cast(a, self.double)} / {limit}))"
            return f"(1 - 2 / (exp(2 * {z}) + 1)) * {limit}"

        return self.elementwise(node, inputs, clamp)

    def affine(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        """x * scale + shift in float64, rounded once: (x + 1) / 2 and x * 2 - 1 come out as torch's."""
        scale, shift = (self.number(float(node.attrs[k])) for k in ("scale", "shift"))
        return self.elementwise(node, inputs, lambda a: f"{self.cast(a, self.double)} * {scale} + {shift}")

    def gaussian_sample(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        """diffusers' DiagonalGaussianDistribution.sample: mean + exp(0.5 * clamp(logvar, -30, 20)) * noise."""
        def sampled(mean: str, logvar: str, noise: str) -> str:
            std = f"exp(0.5 * greatest(-30.0, least(20.0, {self.cast(logvar, self.double)})))"
            return f"{mean} + {std} * {noise}"

        return self.elementwise(node, inputs, sampled)

    def codes(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        """A row per codebook entry: b and t its index (as TIMESTEPS holds a class label, for one_hot)."""
        return (f"SELECT {self.cast('code', 'INTEGER')} AS b, {self.cast('code', self.double)} AS t "
                f"FROM {self.series(node.attrs['codes'], 'code')}")

    def nearest(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        """Each pixel of the first input replaced by the nearest vector of the second (a row per code,
        b its index): the least sum of squared differences over the channels, the lowest index among
        equals, as torch.argmin of torch.cdist picks it."""
        (z, book), n = inputs, node.channels
        difference = self.map_channels(n, lambda a, e: f"{a} - {e}", "z", ["e"])
        ranked = (f"SELECT d.b, d.y, d.x, d.code, row_number() OVER (PARTITION BY d.b, d.y, d.x "
                  f"ORDER BY {self.dot_channels(n, 'd', 'd')}, d.code) AS r\n"
                  f"  FROM (SELECT z.b, z.y, z.x, e.b AS code, {difference} FROM {z} z CROSS JOIN {book} e) AS d")
        return (f"SELECT w.b, w.y, w.x, {self.channels('e', n)}\n"
                f"FROM ({ranked}) AS w JOIN {book} e ON e.b = w.code\nWHERE w.r = 1")

    # ---- the text encoder's primitives written once (lookup, layer_norm: each dialect's) ------------
    def gelu(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        """CLIP's quick_gelu, x * sigmoid(1.702 x), or the exact GELU, 0.5 x (1 + erf(x / sqrt 2)), in
        float64 and rounded once (`quick_gelu`, `erf_gelu`)."""
        formula = quick_gelu if node.attrs["quick"] else erf_gelu
        return self.elementwise(node, inputs, lambda a: formula(self.cast(a, self.double)))

    def multiply(self, node: Node, inputs: list[Relation], table: str | None) -> str:
        """The product of two images, channel by channel (a float32 product, as torch's)."""
        return self.elementwise(node, inputs, lambda a, b: f"{a} * {b}")


def neighbourhood(h: int, w: int, zero: str, alias: str = "") -> list[str]:
    """The 9 cells of each pixel's 3x3 neighbourhood, in (ky, kx) order, as expressions over rows
    in (y, x) order per batch item (a window `win`): lag/lead of the channels `v` by w*dy + dx,
    `zero` outside the image. Twice as fast as joining the image with itself 9 times."""
    a = f"{alias}." if alias else ""
    cells = []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            offset = dy * w + dx
            cell = f"{a}v" if offset == 0 else f"{'lag' if offset < 0 else 'lead'}({a}v, {abs(offset)}) OVER win"
            edges = [e for e, on in ((f"{a}y > 0", dy < 0), (f"{a}y < {h - 1}", dy > 0),
                                     (f"{a}x > 0", dx < 0), (f"{a}x < {w - 1}", dx > 0)) if on]
            cells.append(f"CASE WHEN {' AND '.join(edges)} THEN {cell} ELSE {zero} END" if edges else cell)
    return cells


def _is_atom(expr: str) -> bool:
    """Whether a cast can follow `expr` without parentheses: a name, a number (`-9.2::REAL` casts
    9.2 and negates it: the same float), or one function call over all of it."""
    if re.fullmatch(r"[A-Za-z_][\w.]*|-?\d+(\.\d*)?(e[+-]?\d+)?", expr):
        return True
    call = re.match(r"[A-Za-z_]\w*\(", expr)
    if not call:
        return False
    depth = 0
    for position, char in enumerate(expr[call.end() - 1:], call.end() - 1):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return position == len(expr) - 1
    return False


def quick_gelu(a: str) -> str:
    """x * sigmoid(1.702 x) of a float64 expression `a`, the sigmoid written (1 + tanh(z / 2)) / 2:
    tanh saturates where exp would overflow (an error in PostgreSQL) and gives an exact 0 far out."""
    return f"{a} * (0.5 + 0.5 * tanh(0.851 * {a}))"


# erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z / 2), for z >= 0 (Numerical Recipes' erfcc, a fit of
# Chebyshev's: relative error under 1.2e-7 everywhere): P's coefficients, constant term first
_ERFC = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
         -0.82215223, 0.17087277)


def erf_gelu(a: str) -> str:
    """0.5 x (1 + erf(x / sqrt 2)) of a float64 expression `a`, with erf = 1 - erfc for x >= 0 and
    erfc(-u) - 1 below: the engines have no erf (PostgreSQL before 16, DuckDB, Spark, Hyper). Its
    error is under 1.2e-7 of 0.5 |x| erfc(|x| / sqrt 2): 1.4e-8 at most, against torch's float64
    GELU (less than float32's rounding). |x| / sqrt 2 is held to 9, where erfc is 4e-37: no exp
    underflows (an error in PostgreSQL), and 1 - (1 - erfc) is an exact 0 far below zero."""
    z = f"least(abs({a}) * {number(1 / math.sqrt(2))}, 9.0)"
    t = f"(1 / (1 + 0.5 * {z}))"
    polynomial = number(_ERFC[-1])
    for coefficient in reversed(_ERFC[1:-1]):
        polynomial = f"{number(coefficient)} + {t} * ({polynomial})"
    erfc = f"{t} * exp({number(_ERFC[0])} + {t} * ({polynomial}) - {z} * {z})"
    return f"0.5 * {a} * (1 + CASE WHEN {a} < 0 THEN -1 ELSE 1 END * (1 - {erfc}))"
