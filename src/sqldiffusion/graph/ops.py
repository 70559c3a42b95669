"""Tensor primitives as plain data.

Every relation is either an *image* (one row per pixel: batch, y, x and the channel vector) with
shape ``(C, H, W)``, or a *vector* (one row per batch item) with shape ``(C,)``. The primitives are
few; the UNet is built from them in `unet.py`, and each backend's dialect renders each of them
(after its lowering, which may replace some by primitives of its own).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Layer:
    """The parameters one primitive reads, as the engine stores them: a matrix of rows.

    ``packing`` says how the diffusers tensors become rows (see `backends/parameters.py`):
    ``dense``: rows = output features, columns = inputs then bias (Linear and 1x1 conv); where
    ``rows`` is given, only the output features from rows[0] up to rows[1] (a Linear split in two);
    ``embedding``: an embedding table as a dense layer over one-hot inputs (rows = features,
    columns = classes then a zero bias);
    ``conv3x3``: rows = output channels, columns = (ky, kx, in channel) then bias;
    ``qkv``: the query, key and value projections of one attention block stacked as one dense layer
    (the three modules whose weights the layer declares, in that order; a zero bias where one has none);
    ``kv``: the key and value projections of a cross-attention stacked as one dense layer (to_k then to_v);
    ``norm``: row 0 the scale (gamma), row 1 the shift (beta);
    ``rows``: an embedding table as it is (rows = entries, columns = features, no bias), read by
    ``lookup`` one row per pixel.

    A backend's lowering may add packings of its own (parameters stored in another form), named for
    the table that holds them.
    """

    name: str  # the parameter table's name: the diffusers module, e.g. down_blocks.0.resnets.0.conv1
    packing: str
    tensors: dict[str, tuple[int, ...]]  # diffusers tensor name -> shape
    rows: tuple[int, int] | None = None  # dense: the output features kept (None: all)

    @property
    def module(self) -> str:
        """The diffusers module whose tensors it reads (a table name may add `#part`)."""
        return self.name.split("#")[0]


@dataclass
class Node:
    """One primitive applied to earlier nodes' relations; produces one relation."""

    id: int
    op: str
    inputs: tuple[int, ...]
    shape: tuple[int, ...]
    label: str
    layer: Layer | None = None
    attrs: dict = field(default_factory=dict)
    tag: str = ""  # the block it belongs to where profiles group it apart from its op ("attention")

    @property
    def category(self) -> str:
        """The work it does, as profiles group it: the block tag, else the primitive."""
        return self.tag or self.op

    @property
    def channels(self) -> int:
        return self.shape[0]

    @property
    def is_image(self) -> bool:
        return len(self.shape) == 3


# The primitive set. Attributes each op takes are listed beside it.
OPS = {
    "sample": "the input image; attrs: center (x -> 2x - 1)",
    "timesteps": "the timestep of each batch item",
    "class_labels": "the class label of each batch item (a number, in column t as timesteps)",
    "class_embeddings": "the class embedding of each batch item, given (an image of one pixel)",
    "vector_of": "a one-pixel image as a vector per item",
    "one_hot": "a vector per item, 1 at the item's class label, else 0; attrs: classes",
    "time_proj": "sinusoidal embedding; attrs: flip_sin_to_cos, freq_shift",
    "dense": "x @ W.T + b per row (Linear, 1x1 conv); optional 2nd input added, then / scale",
    "conv3x3": ("3x3 convolution; attrs: stride, pad (top, left), upsample (nearest 2x first), scale; "
                "optional 2nd input added"),
    "group_norm": "group normalisation; attrs: groups, eps, silu",
    "silu": "x * sigmoid(x)",
    "concat": "channel concatenation of two images",
    "upsample": "nearest 2x: each pixel becomes a 2x2 block",
    "avg_pool": "2x2 mean, stride 2: half the height and width",
    "scale_shift": "x * (1 + scale) + shift, scale and shift vectors per item (2nd, 3rd inputs); attrs: silu",
    "attention": ("multi-head softmax(q k^T / sqrt(d)) v over the pixels (index y * W + x); attrs: heads, "
                  "causal (key j > query i masked; absent: False)"),
    "cross_attention": ("multi-head softmax(q k^T / sqrt(d)) v of each pixel's query (1st input (C, H, W)) over a "
                        "token sequence's keys then values (2nd input (2C, 1, L)); attrs: heads"),
    # the autoencoders'
    "latents": "the latents an autoencoder decodes, given",
    "pixels": "the picture an autoencoder encodes, given",
    "noise": "standard normal noise of the latents' shape, drawn by the engine (seeded)",
    "relu": "max(x, 0)",
    "tanh_clamp": "tanh(x / limit) * limit: a soft clamp to (-limit, limit); attrs: limit",
    "affine": "x * scale + shift, constants; attrs: scale, shift",
    "gaussian_sample": "mean + exp(logvar / 2) * noise, logvar clamped to [-30, 20] (inputs: mean, logvar, noise)",
    "codes": "one row per codebook entry, b and t its index; attrs: codes",
    "nearest": "each pixel replaced by the nearest codebook vector (2nd input: a vector per code, b its index)",
    # the text encoder's and the conditional UNet's (a token sequence (B, L, D) is an image (D, 1, L))
    "tokens": "the token ids, given: an image (1, 1, L), v = [token id]",
    "encoder_hidden_states": "the text encoder's output a conditional UNet reads, given: an image (D, 1, L)",
    "lookup": ("a row of an embedding table (packing rows) per pixel: row v[1] (a token id), or the pixel's x "
               "where attrs by_position; optional 2nd input added"),
    "layer_norm": "per pixel over its channels: (x - mean) / sqrt(var + eps) * gamma + beta; attrs: eps",
    "gelu": "x * sigmoid(1.702 x) where attrs quick, else the exact 0.5 x (1 + erf(x / sqrt 2))",
    "multiply": "the elementwise product of two images of one shape",
}


def _check_plain(shape: tuple, attrs: dict) -> None:
    """Shapes are whole numbers and attributes plain numbers or flags: the dialects write them into
    SQL, so anything else reaching here is a config value that escaped its check (model/fields.py)."""
    for dim in shape:
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise TypeError(f"a relation's shape holds {dim!r}; shapes are positive whole numbers")
    for key, value in attrs.items():
        if value is not None and not isinstance(value, (bool, int, float)):
            raise TypeError(f"attribute {key} is a {type(value).__name__}; attributes are numbers or flags")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"attribute {key} is {value}; attributes are finite")


class Graph:
    """Nodes in execution order; `output` is the id of the node whose relation is the result."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.output: int | None = None

    def add(self, op: str, inputs: tuple[int, ...], shape: tuple[int, ...], label: str,
            layer: Layer | None = None, tag: str = "", **attrs) -> int:
        assert op in OPS, op
        _check_plain(shape, attrs)
        node = Node(len(self.nodes), op, tuple(inputs), tuple(shape), label, layer, attrs, tag)
        self.nodes.append(node)
        return node.id

    def rewritten(self, rewrite) -> "Graph":
        """A copy with each node replaced by `rewrite(node)` (a Node with the same id, or the node
        itself): how a backend lowers the graph to the primitives it computes with."""
        graph = Graph()
        graph.nodes = [rewrite(node) for node in self.nodes]
        graph.output = self.output
        return graph

    def __getitem__(self, node_id: int) -> Node:
        return self.nodes[node_id]

    @property
    def layers(self) -> list[Layer]:
        seen: dict[str, Layer] = {}
        for node in self.nodes:
            if node.layer is not None:
                seen.setdefault(node.layer.name, node.layer)
        return list(seen.values())

    def expected_tensors(self) -> dict[str, tuple[int, ...]]:
        shapes: dict[str, tuple[int, ...]] = {}
        for layer in self.layers:
            shapes.update(layer.tensors)
        return shapes

    def last_use(self) -> dict[int, int]:
        """For each node, the id of the last node that reads it (itself if none)."""
        last = {n.id: n.id for n in self.nodes}
        for n in self.nodes:
            for i in n.inputs:
                last[i] = max(last[i], n.id)
        if self.output is not None:
            last[self.output] = len(self.nodes)
        return last
