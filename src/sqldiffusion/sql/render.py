"""Graph -> SQL program: one statement per primitive, each creating one relation.

Rendering decides nothing about semantics: it walks the nodes in order, names relations, asks the
dialect for each node's SELECT, and notes when a relation is read for the last time so that the
engine can drop it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..graph.ops import Graph, Node

SAMPLE = "sqld_sample"  # (b, y, x, v) the input image, filled by the engine
TIMESTEPS = "sqld_timesteps"  # (b, t) one timestep per batch item


@dataclass(frozen=True)
class Relation:
    """A relation a statement reads: its name and the tensor shape it holds ((C, H, W) or (C,))."""

    name: str
    shape: tuple[int, ...]

    @property
    def is_image(self) -> bool:
        return len(self.shape) == 3

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class LayerTables:
    """The tables holding one layer's parameters: its matrix (what `str()` gives) and the variants
    the dialect stores beside it, by variant name."""

    matrix: str
    variants: dict[str, str]

    def __str__(self) -> str:
        return self.matrix


@dataclass(frozen=True)
class Statement:
    target: str  # the relation this statement creates
    sql: str  # a SELECT producing it
    label: str  # the diffusers module it computes, e.g. down_blocks.0.resnets.0.conv1
    op: str  # the primitive, for profiles
    drops: tuple[str, ...] = ()  # relations nobody reads after this statement


@dataclass(frozen=True)
class Program:
    statements: tuple[Statement, ...]
    output: str
    output_shape: tuple[int, int, int]  # (C, H, W)

    def text(self) -> str:
        parts = [f"-- {s.label} ({s.op})\nCREATE TEMP TABLE {s.target} AS\n{s.sql};" for s in self.statements]
        return "\n\n".join(parts) + "\n"


def render(graph: Graph, dialect, schema: str) -> Program:
    names: dict[int, str] = {}
    statements: list[Statement] = []
    last_use = graph.last_use()
    for node in graph.nodes:
        inputs = [Relation(names[i], graph[i].shape) for i in node.inputs]
        param = dialect.layer_tables(schema, node.layer) if node.layer else None
        if node.op == "timesteps":
            names[node.id] = TIMESTEPS
            continue
        if node.op == "sample" and not node.attrs.get("center"):
            names[node.id] = SAMPLE
            continue
        names[node.id] = f"sqld_t{node.id}"
        sql = dialect.select(node, inputs, param)
        dead = tuple(names[i] for i in dict.fromkeys(node.inputs)
                     if last_use[i] == node.id and names[i] not in (SAMPLE, TIMESTEPS))
        statements.append(Statement(names[node.id], sql, node.label, _kind(node), dead))
    out = graph[graph.output]
    return Program(tuple(statements), names[out.id], out.shape)


def _kind(node: Node) -> str:
    """The op as profiles group it: convolutions by kernel, attention pieces together."""
    if node.op == "dense" and node.layer is not None and node.layer.kind == "qkv":
        return "attention"
    if node.op == "dense" and node.is_image and ".attentions." in node.label:
        return "attention"
    return node.op
