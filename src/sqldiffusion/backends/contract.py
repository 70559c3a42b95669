"""The contract every backend fills in: a `Dialect` (what SQL to write) and an `Engine` (how to run it).

A backend is one folder (`backends/<name>/`) holding its dialect, its storage (weight tables,
image upload and fetch) and its engine (connection, transactions), plus one line in the registry
(`backends/__init__.py`). `docs/backends.md` tells how to add one.

The abstract methods below are what a backend must write; everything else here is written once
for all backends, built from those methods and a few facts (type names, the series function).

Relations every program reads and writes:
- an *image* relation has one row per pixel, keyed (b, y, x), holding the pixel's channels;
- a *vector* relation has one row per batch item, keyed (b), holding a vector's channels.
How the channels of a row are held (one list column, one column per channel, ...) is the
backend's choice: `channels` and `map_channels` are its whole vocabulary for them here.
"""

from __future__ import annotations

import json
import math
import re
import resource
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, contextmanager

import numpy as np

from ..errors import SQLDiffusionError
from ..graph.ops import OPS, Graph, Layer, Node
from ..literals import number
from ..program import CLASS_LABELS, SAMPLE, TIMESTEPS, Program, Relation, Statement


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
        mean = (lambda p, q, r, s: f"({p} + {q} + {r} + {s}) * {quarter}")
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

    def sampler_step(self, sample: str, eps: str, noise: str | None, coefficients: str, clip: float | None,
                     channels: int, known: tuple[str, str] | None = None, history: Sequence[str] = ()) -> str:
        """x_prev per pixel and channel from x_t, the predicted noise, the step's coefficients
        (one row: sa, sb, p, q, r, sigma; see scheduler.py) and, when the step adds it, noise:
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
                x0 = f"greatest({self.number(-clip)}, least({self.number(clip)}, {x0}))"
            new = f"c.p * {x0} + c.q * {x} + c.r * {e}" + ("" if z is None else f" + c.sigma * {z}")
            for k, earlier in enumerate(before, 1):
                new += f" + c.u{k} * {earlier}"
            if not rest:
                return new
            o, m = rest
            return f"{m} * (c.ka * {o} + c.kb * {z}) + (1 - {m}) * ({new})"

        others = ["e"] if noise is None else ["e", "n"]
        joins = f"JOIN {eps} e ON {self.same_key('s', 'e', True)}"
        if noise is not None:
            joins += f"\nJOIN {noise} n ON {self.same_key('s', 'n', True)}"
        for k, relation in enumerate(history, 1):
            others.append(f"h{k}")
            joins += f"\nJOIN {relation} h{k} ON {self.same_key('s', f'h{k}', True)}"
        if known is not None:
            others += ["o", "m"]
            joins += (f"\nJOIN {known[0]} o ON {self.same_key('s', 'o', True)}"
                      f"\nJOIN {known[1]} m ON {self.same_key('s', 'm', True)}")
        return (f"SELECT {self.keys('s', True)}, {self.map_channels(channels, step, 's', others, cast=True)}\n"
                f"FROM {sample} s {joins}\nCROSS JOIN {coefficients} c")

    def pixelwise(self, channels: int, formula: Callable[..., str], relations: Sequence[str],
                  coefficients: str | None = None) -> str:
        """Image relations of one shape combined pixel by pixel and channel by channel:
        `formula(x, *ys)` of that channel's expression in each relation, in order; the columns of
        `coefficients` (one row) are c.<name>. Rounded to float32."""
        aliases = [f"r{k}" for k in range(len(relations))]
        joins = "".join(f"\nJOIN {relation} {alias} ON {self.same_key('r0', alias, True)}"
                        for relation, alias in zip(relations[1:], aliases[1:]))
        cross = f"\nCROSS JOIN {coefficients} c" if coefficients else ""
        return (f"SELECT {self.keys('r0', True)}, {self.map_channels(channels, formula, 'r0', aliases[1:], cast=True)}\n"
                f"FROM {relations[0]} r0{joins}{cross}")

    def noised(self, image: str, noise: str, coefficients: str, channels: int) -> str:
        """A clean picture noised to a timestep: sa * x0 + sb * eps, per pixel and channel (the
        coefficients: one row, sa and sb)."""
        return (f"SELECT {self.keys('x', True)}, "
                f"{self.map_channels(channels, lambda x, n: f'c.sa * {x} + c.sb * {n}', 'x', ['n'], cast=True)}\n"
                f"FROM {image} x JOIN {noise} n ON {self.same_key('x', 'n', True)}\nCROSS JOIN {coefficients} c")

    def slerp(self, first: str, second: str, frames: int, channels: int) -> str:
        """`frames` images on the great circle from the image in `first` to the one in `second`
        (batch 1 each; frame f at f / (frames - 1) of the angle between them, treated as vectors of
        all their pixels and channels): spherical interpolation of two starting noises."""
        last = max(frames - 1, 1)
        fraction = f"({self.cast('f', self.double)} / {last})"
        mix = (lambda x, y: f"w.ca * {x} + w.cb * {y}")
        return (f"WITH s AS (SELECT sum({self.dot_channels(channels, 'za', 'zb')}) AS ab, "
                f"sum({self.dot_channels(channels, 'za', 'za')}) AS aa, sum({self.dot_channels(channels, 'zb', 'zb')}) AS bb\n"
                f"  FROM {first} za JOIN {second} zb ON {self.same_key('za', 'zb', True)}),\n"
                f"a AS (SELECT acos(greatest(-1.0, least(1.0, ab / sqrt(aa * bb)))) AS theta FROM s),\n"
                f"w AS (SELECT f, CASE WHEN theta < 1e-6 THEN 1 - {fraction} ELSE sin((1 - {fraction}) * theta) / sin(theta) END AS ca,\n"
                f"             CASE WHEN theta < 1e-6 THEN {fraction} ELSE sin({fraction} * theta) / sin(theta) END AS cb\n"
                f"      FROM a, {self.series(frames, 'f')})\n"
                f"SELECT {self.cast('w.f', 'INTEGER')} AS b, za.y, za.x, {self.map_channels(channels, mix, 'za', ['zb'], cast=True)}\n"
                f"FROM {first} za JOIN {second} zb ON {self.same_key('za', 'zb', True)} CROSS JOIN w")

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
        return (f"SELECT {self.keys('r0', True)}, {self.map_channels(node.channels, fn, 'r0', aliases[1:], cast=True)}\n"
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


MAX_STREAMS = 1 << 16  # noise streams per image: x_T and one per sampler step


def noise_counter(stream: int, h: int, w: int, c: int) -> Callable[[str], str]:
    """The counter of element (bb, stream, yy, xx, ch) of the noise, as a function of the channel
    expression: image-major, so that image b's noise does not depend on how many images there are."""
    if not 0 <= stream < MAX_STREAMS:
        raise SQLDiffusionError(f"a run draws noise at most {MAX_STREAMS - 1} times per image (asked for the "
                                f"{stream}th); take fewer steps")
    return lambda ch: f"((bb::BIGINT * {MAX_STREAMS} + {int(stream)}) * {h * w} + yy * {w} + xx) * {c} + {ch}"


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


def box_muller(u1: str, u2: str) -> str:
    """A standard normal number from a uniform in (0, 1] and one in [0, 1), in float64."""
    return f"sqrt(-2 * ln({u1})) * cos(2 * pi() * {u2})"


def cpu_seconds() -> float:
    """This process's CPU time (an embedded engine's worker threads are ours; a server's are not)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Storage(ABC):
    """How a backend holds tensors, bound to one engine: the parameter tables an import makes, and
    the uploads and fetches of a run. Each backend's storage.py defines one over its layout
    (docs/backends.md, "How tensors are laid out")."""

    def __init__(self, engine: "Engine") -> None:
        self.engine = engine

    @abstractmethod
    def store_layer(self, table: str, layer: Layer, tensors: dict[str, np.ndarray]) -> None:
        """Create the parameter table `table` of `layer` and fill it from the diffusers `tensors`."""

    @abstractmethod
    def put_image(self, name: str, image: np.ndarray) -> None:
        """Make the image relation `name` (which does not exist) from a float32 (B, C, H, W) array."""

    @abstractmethod
    def fetch_image(self, name: str, shape: tuple[int, int, int, int]) -> np.ndarray:
        """The image relation `name` as a float32 array of `shape` (B, C, H, W)."""

    @abstractmethod
    def fetch_vectors(self, name: str) -> np.ndarray:
        """A vector relation (b, ...) as a float32 (B, C) array, in batch order."""

    def check_import(self, namespace: str, layers: list[Layer]) -> tuple[str, str] | None:
        """The first stored parameter table of `layers` in `namespace` that is not as this layout
        makes it (missing, not a table, other columns; and where the engine's `check_values`, other
        rows or values), with what is wrong, or None: a database file or server another user wrote
        is checked against the graph before a run."""
        return None


class ConnectionStorage(Storage):
    """A Storage whose backend writes its layout as a module of functions taking the driver's
    connection first (`store_layer(con, table, layer, tensors)`, `put_image(con, name, image)`, ...):
    DuckDB, PostgreSQL and Hyper. Bound to the engine, it passes the engine's connection."""

    def __init__(self, engine: "Engine", module) -> None:
        super().__init__(engine)
        self.module = module

    def store_layer(self, table, layer, tensors) -> None:
        self.module.store_layer(self.engine.con, table, layer, tensors)

    def put_image(self, name, image) -> None:
        self.module.put_image(self.engine.con, name, image)

    def fetch_image(self, name, shape) -> np.ndarray:
        return self.module.fetch_image(self.engine.con, name, shape)

    def fetch_vectors(self, name) -> np.ndarray:
        return self.module.fetch_vectors(self.engine.con, name)

    def check_import(self, namespace, layers) -> tuple[str, str] | None:
        check = getattr(self.module, "check_import", None)
        if check is None:
            return None
        return check(self.engine.con, namespace, layers, self.engine.dialect.table, self.engine.check_values)


class Engine(ABC):
    """A connection to one database, its `dialect`, and the few things only it knows how to do.

    The relations a run makes are temporary (`create`); a model's parameters are ordinary tables in
    a namespace of its own, named by its digest and listed in the registry table (`import_model`).
    A namespace is a schema where the engine keeps weights in schemas (DuckDB, PostgreSQL), and a
    prefix of each table's name where it cannot (Hyper's temporary tables, Spark's views):
    `Dialect.table(namespace, name)` says which.
    """

    name: str = ""
    dialect: Dialect
    storage: Storage  # its storage, bound to it (made in its __init__)
    database: str | None = None
    registry: str = "sqldiffusion_models"  # the registry table, as statements name it
    placeholder: str = "?"  # how the driver marks a bound parameter
    layout_version: str = ""  # the version of its storage layout, where a backend has had several
    durable: bool = True  # whether it can make ordinary tables (False: temporary ones only, gone with it)
    check_values: bool = True  # whether an import found there has its every value checked before a run
    read_only: bool = False  # whether its database was opened read-only (runs still work; nothing is kept)
    why_not_durable: str = ""  # where it is not durable, why its weights last one run only

    @classmethod
    def describe(cls, database=None) -> str:
        """Where a run on this engine happens, given its target (`database`), for messages."""
        return cls.name

    # ---- what a backend writes ----------------------------------------------------------------
    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def execute_sql(self, sql: str, params: Sequence = ()) -> None:
        """Run one statement that returns no rows, with `params` bound to its placeholders."""

    @abstractmethod
    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        """Run one statement that returns rows (a SELECT), with `params` bound; return its rows."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager:
        """A transaction: committed when the block ends, rolled back if it raises (Ctrl-C included)."""

    @abstractmethod
    def create(self, name: str, select: str) -> None:
        """A temporary relation `name` from a SELECT, replacing any relation of that name."""

    def refill(self, name: str, select: str) -> None:
        """As `create`, for a relation made again at every pass with the same columns (a program's
        statements, the timesteps): an engine may keep its table and refill it (Hyper does)."""
        self.create(name, select)

    def put_image(self, name: str, image: np.ndarray) -> None:
        """Upload a float32 (B, C, H, W) array as the image relation `name` (replacing one)."""
        self.drop(name)
        self.storage.put_image(name, image)

    def fetch_image(self, name: str, shape: tuple[int, int, int, int]) -> np.ndarray:
        """The image relation `name` as a float32 (B, C, H, W) array."""
        return self.storage.fetch_image(name, shape)

    def fetch_vectors(self, name: str) -> np.ndarray:
        """A vector relation (b, ...) as a (B, C) array."""
        return self.storage.fetch_vectors(name)

    def store_layer(self, namespace: str, layer: Layer, tensors: dict[str, np.ndarray]) -> None:
        """Create and fill the parameter table of `layer` in `namespace`, in this backend's layout."""
        self.storage.store_layer(self.dialect.table(namespace, layer.name), layer, tensors)

    @abstractmethod
    def registry_exists(self) -> bool: ...

    @abstractmethod
    def namespace_exists(self, namespace: str) -> bool: ...

    def interrupt(self) -> None:
        """From another thread: stop the statement this engine is running, if its driver can (the
        statement then fails with the driver's error; the connection stays usable)."""

    def lock_imports(self) -> None:
        """Inside the import transaction: wait for any other process importing into this database."""

    # ---- written once for every backend -------------------------------------------------------
    def drop(self, *names: str) -> None:
        for name in names:
            self.execute_sql(f"DROP TABLE IF EXISTS {name}")

    def rename(self, old: str, new: str) -> None:
        self.drop(new)
        self.execute_sql(f"ALTER TABLE {old} RENAME TO {new}")

    def namespace_of(self, model) -> str:
        """The namespace a model is imported into: named by its digest, so one model is stored once,
        and by the storage `layout_version` where a backend has had more than one, so that an older import
        is not read as a newer one."""
        return f"sqld_{model.digest[:16]}" + (f"_{self.layout_version}" if self.layout_version else "")

    def made_namespace(self, model, name: str) -> bool:
        """Whether `name` is a namespace sqldiffusion makes for `model` (in any layout): the only
        kind of name a registry row may lead it to drop."""
        return re.fullmatch(rf"sqld_{re.escape(model.digest[:16])}(_[a-z0-9]+)*", name) is not None

    def may_drop(self, model, name: str) -> bool:
        """Whether an older import of `model` listed in the registry as `name` may be dropped: a name
        sqldiffusion makes for that model (and, where the database has owners, one this role owns)."""
        return self.made_namespace(model, name)

    def registered_namespace(self, model) -> str | None:
        """The namespace the registry lists for `model` (in whatever layout it was imported)."""
        if not self.registry_exists():
            return None
        rows = self.query(f"SELECT schema_name FROM {self.registry} WHERE digest = {self.placeholder}",
                          [model.digest])
        return rows[0][0] if rows else None

    def imported_namespace(self, model) -> str | None:
        """The namespace holding `model` in this backend's current layout, if imported."""
        namespace = self.registered_namespace(model)
        return namespace if namespace == self.namespace_of(model) and self.namespace_exists(namespace) else None

    def import_model(self, model, layers: list[Layer], on_layer: Callable[[int, int], None] | None = None) -> str:
        """Store `layers` of `model` in a namespace of its own and note it there; a no-op if it is
        there already. Returns the namespace.

        One template for every engine: the weights are read and checked before the database is
        touched; `importing` brackets the making of the tables (a durable engine: one transaction,
        the registry, an import in an older layout replaced, all rolled back on any failure or
        interruption; a per-session engine: the tables it made dropped); `store_layers` makes them.
        `found_import` lets an engine take an import it holds elsewhere (Spark's warehouse), and
        `shared_import` one another user made and shared. An import already there is checked
        against the graph (`check_stored`) before it is used."""
        namespace = self.namespace_of(model)
        if self.imported_namespace(model) == namespace:
            self.check_stored(model, namespace, layers)
            return namespace
        if self.found_import(model, namespace, layers):
            return namespace
        shared = self.shared_import(model, layers)
        if shared is not None:
            return shared
        tensors = model.tensors({name: shape for layer in layers for name, shape in layer.tensors.items()})
        with self.importing(model, namespace, layers) as needed:
            if needed:
                self.store_layers(namespace, layers, tensors, on_layer)
        if not needed:  # another process imported it while this one waited: checked as any other
            self.check_stored(model, namespace, layers)
        return namespace

    def found_import(self, model, namespace: str, layers: list[Layer]) -> bool:
        """Whether the engine holds this import somewhere it can take it from without the weights
        (and has taken it): none do but Spark's warehouse."""
        return False

    def shared_import(self, model, layers: list[Layer]) -> str | None:
        """The namespace of an import of `model` that another user of the database made and may
        share with this one, if there is one it can trust: none but PostgreSQL's roles."""
        return None

    def check_stored(self, model, namespace: str, layers: list[Layer]) -> None:
        """Every parameter table of an import, against what the graph needs: one line naming the
        first damaged table and how to import the model again."""
        damaged = self.storage.check_import(namespace, layers)
        if damaged is not None:
            table, problem = damaged
            raise SQLDiffusionError(f"the stored weights of {model.name} are damaged: table {table} {problem}; "
                                    f"{self.how_to_reimport(namespace)}")

    def how_to_reimport(self, namespace: str) -> str:
        """What a user does about a damaged import in `namespace` (for the line `check_stored` says)."""
        return (f"drop schema {self.dialect.quote(namespace)} and its row in {self.registry}, or use another "
                "database, and run again to import the model anew")

    @contextmanager
    def importing(self, model, namespace: str, layers: list[Layer]):
        """Around the making of an import's tables in a durable database: one transaction, the
        import lock, the registry. Yields whether the tables are still to be made (not if another
        process imported the model while this one waited for the lock).

        A registry row is trusted only as far as it names a namespace sqldiffusion makes for its
        model (`may_drop`): a row planted to name any other schema is removed, its schema kept."""
        q, ph = self.dialect.quote, self.placeholder
        with self.transaction():
            self.lock_imports()
            self.make_registry()
            old = self.registered_namespace(model)
            if old == namespace and self.namespace_exists(namespace):  # imported while we waited
                yield False
                return
            if old is not None:  # imported in an older layout (or its schema gone): replaced
                if old != namespace and self.may_drop(model, old):
                    self.execute_sql(f"DROP SCHEMA IF EXISTS {q(old)} CASCADE")
                self.execute_sql(f"DELETE FROM {self.registry} WHERE digest = {ph}", [model.digest])
            if self.namespace_exists(namespace):
                raise SQLDiffusionError(f"schema {namespace} already exists in this database but is not a "
                                        "sqldiffusion model; drop it or use another database")
            self.execute_sql(f"CREATE SCHEMA {q(namespace)}")
            yield True
            self.execute_sql(f"INSERT INTO {self.registry} (digest, schema_name, model, config) "
                             f"VALUES ({ph}, {ph}, {ph}, {ph})",
                             [model.digest, namespace, model.name, json.dumps(model.config.raw)])

    def make_registry(self) -> None:
        """Inside the import transaction: the registry table, made if missing."""
        self.execute_sql(f"CREATE TABLE IF NOT EXISTS {self.registry} (digest TEXT PRIMARY KEY, "
                         "schema_name TEXT NOT NULL, model TEXT, config TEXT, "
                         "imported_at TIMESTAMP WITH TIME ZONE DEFAULT current_timestamp)")

    def gallery_table(self, columns: str) -> str:
        """The table the page keeps finished pictures in, with the column definitions `columns`,
        made if missing; where the engine keeps no tables beyond a run, a temporary one."""
        temp = "" if self.durable else "TEMP "
        self.execute_sql(f"CREATE {temp}TABLE IF NOT EXISTS sqldiffusion_gallery ({columns})")
        return "sqldiffusion_gallery"

    def store_layers(self, namespace: str, layers: list[Layer], tensors: dict[str, np.ndarray],
                     on_layer: Callable[[int, int], None] | None = None) -> None:
        """Make every layer's table, one after another (`on_layer(done, total)` after each)."""
        for i, layer in enumerate(layers):
            self.store_layer(namespace, layer, tensors)
            if on_layer:
                on_layer(i + 1, len(layers))

    def run(self, program: Program, sample: np.ndarray, timesteps: np.ndarray,
            on_statement: Callable[[Statement, float, float], None] | None = None,
            class_labels: Sequence[float] | None = None) -> np.ndarray:
        """Execute `program` on `sample` (B, C, H, W) at `timesteps` (B,) (and `class_labels` (B,)
        for a class-conditional model); return the output (B, C', H, W)."""
        try:
            self.put_image(SAMPLE, sample)
            output = self.execute(program, timesteps, on_statement, class_labels=class_labels)
            return self.fetch_image(output, (sample.shape[0], *program.output_shape))
        finally:
            self.drop(SAMPLE, TIMESTEPS, CLASS_LABELS, *(s.target for s in program.statements))

    def execute(self, program: Program, timesteps, on_statement=None,
                on_start: Callable[[Statement], None] | None = None,
                class_labels: Sequence[float] | None = None) -> str:
        """Run a program on the image already in SAMPLE; return the relation holding its output.

        Every relation but the output is dropped as soon as nothing reads it any more.
        `on_start(statement)` is called before each statement, `on_statement(statement, wall, cpu)`
        after it (either may raise to stop the pass). A class-conditional program reads
        `class_labels` (checked numbers, one per item, or embeddings (B, T): `sql_unet.checked_labels`).
        """
        if program.class_conditional:
            if class_labels is None:
                raise SQLDiffusionError("this model is class-conditional: give a class label (--class-label)")
            if np.ndim(class_labels) == 2:  # embeddings (B, T), as one-pixel images
                self.put_image(CLASS_LABELS, np.asarray(class_labels, dtype=np.float32)[:, :, None, None])
            else:
                self.create(CLASS_LABELS, self.dialect.timesteps(class_labels))
        self.refill(TIMESTEPS, self.dialect.timesteps(timesteps))
        for statement in program.statements:
            if on_start:
                on_start(statement)
            wall, cpu = time.perf_counter(), cpu_seconds()
            self.refill(statement.target, statement.sql)
            self.drop(*statement.drops)
            if on_statement:
                on_statement(statement, time.perf_counter() - wall, cpu_seconds() - cpu)
        return program.output


class SessionWeights:
    """For engines whose weights last only as long as the engine (Hyper's temporary tables, a Spark
    session's views): no registry, and a model is imported once per engine, into `_imported`."""

    _imported: set[str]

    def registry_exists(self) -> bool:
        return False

    def namespace_exists(self, namespace: str) -> bool:
        return namespace in self._imported

    def imported_namespace(self, model) -> str | None:
        namespace = self.namespace_of(model)
        return namespace if namespace in self._imported else None

    @contextmanager
    def importing(self, model, namespace: str, layers: list[Layer]):
        """The tables made for the session: dropped if the import fails or is interrupted."""
        try:
            yield True
        except BaseException:
            self.drop(*(self.dialect.table(namespace, layer.name) for layer in layers))
            raise
        self._imported.add(namespace)
