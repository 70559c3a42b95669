"""Graph -> SQL program: one statement per primitive, each creating one relation.

Rendering decides nothing about semantics: it walks the (lowered) nodes in order, names relations,
asks the dialect for each node's SELECT, and notes what each statement reads (relations and weight
tables) and when a relation is read for the last time so that the engine can drop it. The path of a
pass reads in one direction:

    config --network.graph--> graph --dialect.lower--> lowered graph --render--> Program --engine--> image

The program is the one artifact of a pass: what draws it (the diagram), exports it (the web page)
or runs it reads the program, not the graph.
"""

from __future__ import annotations

from dataclasses import dataclass

from .graph import Graph, network_of

SAMPLE = "sqld_sample"  # the input image, filled by the engine (or by the sampler's noise)
TIMESTEPS = "sqld_timesteps"  # (b, t) one timestep per batch item
CLASS_LABELS = "sqld_class_labels"  # (b, t) one class label per batch item, for class-conditional models
LATENTS = "sqld_latents"  # the latents an autoencoder decodes
PIXELS = "sqld_pixels"  # the picture an autoencoder encodes
NOISE = "sqld_noise"  # the noise an autoencoder's sample of its latent distribution reads
TOKENS = "sqld_tokens"  # the token ids a text encoder reads: an image (1, 1, L), v = [token id]
TEXT = "sqld_text"  # the text encoder's output a conditional UNet reads: an image (D, 1, L)
# relations the engine fills, by op (class embeddings, for class_embed_type "identity": an image (T, 1, 1) per item)
INPUTS = {"timesteps": TIMESTEPS, "class_labels": CLASS_LABELS, "class_embeddings": CLASS_LABELS,
          "latents": LATENTS, "pixels": PIXELS, "noise": NOISE, "tokens": TOKENS, "encoder_hidden_states": TEXT}


@dataclass(frozen=True)
class Relation:
    """A relation a statement reads: its name and the tensor shape it holds ((C, H, W) or (C,))."""

    name: str
    shape: tuple[int, ...]

    @property
    def is_image(self) -> bool:
        return len(self.shape) == 3

    @property
    def channels(self) -> int:
        return self.shape[0]

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Statement:
    target: str  # the relation this statement creates
    sql: str  # a SELECT producing it
    label: str  # the diffusers module it computes, e.g. down_blocks.0.resnets.0.conv1
    category: str  # the work it does, as profiles group it: the primitive, or the block ("attention")
    drops: tuple[str, ...] = ()  # relations nobody reads after this statement
    op: str = ""  # the primitive the dialect rendered
    shape: tuple[int, ...] = ()  # the tensor shape of the relation it makes, (C, H, W) or (C,)
    reads: tuple[str, ...] = ()  # the relations it reads, in the order of the primitive's inputs
    tables: tuple[str, ...] = ()  # the weight tables it reads (qualified by the model's namespace)


@dataclass(frozen=True)
class Program:
    statements: tuple[Statement, ...]
    output: str
    output_shape: tuple[int, int, int]  # (C, H, W)
    class_conditional: bool = False  # whether it reads CLASS_LABELS

    def tables(self) -> list[str]:
        """The weight tables a pass reads, each once, in the order its statements first read them."""
        return list(dict.fromkeys(table for s in self.statements for table in s.tables))

    def text(self) -> str:
        parts = [f"-- {s.label} ({s.category})\nCREATE TEMP TABLE {s.target} AS\n{s.sql};" for s in self.statements]
        return "\n\n".join(parts) + "\n"


def render(graph: Graph, dialect, namespace: str, prefix: str = "sqld_t") -> Program:
    """The program of a lowered graph whose parameters live in `namespace`; the relations it makes
    are named `prefix` and the node's number (a network run inside another's pass has its own)."""
    names: dict[int, str] = {}
    statements: list[Statement] = []
    last_use = graph.last_use()
    for node in graph.nodes:
        if node.op in INPUTS:
            names[node.id] = INPUTS[node.op]
            continue
        if node.op == "sample" and not node.attrs.get("center"):
            names[node.id] = SAMPLE
            continue
        inputs = [Relation(names[i], graph[i].shape) for i in node.inputs]
        table = dialect.table(namespace, node.layer.name) if node.layer else None
        names[node.id] = f"{prefix}{node.id}"
        sql = dialect.select(node, inputs, table)
        dead = tuple(names[i] for i in dict.fromkeys(node.inputs)
                     if last_use[i] == node.id and names[i] not in (SAMPLE, *INPUTS.values()))
        statements.append(Statement(names[node.id], sql, node.label, node.category, dead, node.op, tuple(node.shape),
                                    tuple(r.name for r in inputs), (table,) if table else ()))
    out = graph[graph.output]
    conditional = any(node.op in ("class_labels", "class_embeddings") for node in graph.nodes)
    return Program(tuple(statements), names[out.id], out.shape, conditional)


def render_unet(config, height: int, width: int, dialect, namespace: str, tokens: int | None = None) -> Program:
    """The program of one pass of the network of `config` (a UNet's, or any registered network's) at
    this image size (and text length `tokens`, for a network that reads text), for `dialect`,
    reading weights in `namespace`."""
    graph = network_of(config).graph(config, height, width, tokens=tokens)
    return render(dialect.lower(graph), dialect, namespace)
