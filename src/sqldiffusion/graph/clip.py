"""The CLIP text encoder (transformers' `CLIPTextModel`) as a graph of primitives, reading like its
`forward`, with its parameter names (`text_model.embeddings.token_embedding.weight`, ...).

A token sequence (B, L, D) is an image relation (D, 1, L): one row per token, x its index. The
registry's `build(config, height, width)` takes the sequence as such an image: height 1, width the
number of tokens L (the tokenizer's model_max_length, 77 for Stable Diffusion), at most
`max_position_embeddings`. The graph reads the token ids (`tokens`, an image (1, 1, L)) and gives
the hidden states a pipeline's UNet reads: after the final layer norm, from the last layer or, with
`clip_skip`, from `clip_skip` layers before it, as diffusers' `encode_prompt` takes them.
"""

from __future__ import annotations

from ..errors import SQLDiffusionError
from .clip_config import CLIPTextConfig
from .ops import Graph, Layer

PREFIX = "text_model"  # transformers' CLIPTextModel holds the transformer as `text_model`


def build_text_encoder(config: CLIPTextConfig, height: int, width: int, clip_skip: int = 0) -> Graph:
    """The graph of the text encoder over `width` tokens (an image (hidden_size, 1, width)): the
    hidden states after `num_hidden_layers - clip_skip` layers, then the final layer norm."""
    check_sequence(config, height, width, clip_skip)
    return _TextEncoder(config).build(width, clip_skip)


def smallest_size(config: CLIPTextConfig) -> int:
    """The smallest sequence the registry builds to list the layers: one token (every layer, the
    whole position table included, is read at any length)."""
    return 1


def check_sequence(config: CLIPTextConfig, height: int, width: int, clip_skip: int = 0) -> None:
    if height != 1:
        raise SQLDiffusionError(f"a token sequence is an image of height 1, not {height}")
    if not 1 <= width <= config.max_position_embeddings:
        raise SQLDiffusionError(f"{width} tokens: this text encoder takes 1 to {config.max_position_embeddings} "
                                "(max_position_embeddings)")
    if isinstance(clip_skip, bool) or not isinstance(clip_skip, int) or not 0 <= clip_skip <= config.num_hidden_layers:
        raise SQLDiffusionError(f"clip_skip {clip_skip!r} is not a whole number from 0 to "
                                f"{config.num_hidden_layers} (the layers of this text encoder)")


def rename_tensors(tensors: dict) -> dict:
    """A weight file's tensors under the graph's names: transformers 5 saves a CLIPTextModel without
    the `text_model.` prefix (earlier versions, and the Hub's Stable Diffusion folders, have it), and
    versions before 4.31 saved the position ids (0 .. L - 1, a buffer, not a parameter: dropped, as
    transformers drops it)."""
    renamed = {}
    for name, value in tensors.items():
        if name.endswith("embeddings.position_ids"):
            continue
        renamed[name if name.startswith(f"{PREFIX}.") else f"{PREFIX}.{name}"] = value
    return renamed


class _TextEncoder:
    def __init__(self, config: CLIPTextConfig) -> None:
        self.cfg = config
        self.g = Graph()

    def build(self, length: int, clip_skip: int) -> Graph:
        cfg, g = self.cfg, self.g
        d = cfg.hidden_size
        tokens = g.add("tokens", (), (1, 1, length), "tokens")
        embeddings = f"{PREFIX}.embeddings"
        words = self.lookup(tokens, f"{embeddings}.token_embedding", cfg.vocab_size, by_position=False)
        h = self.lookup(tokens, f"{embeddings}.position_embedding", cfg.max_position_embeddings, by_position=True,
                        add=words)
        for i in range(cfg.num_hidden_layers - clip_skip):
            h = self.layer(h, f"{PREFIX}.encoder.layers.{i}")
        g.output = self.layer_norm(h, f"{PREFIX}.final_layer_norm")
        assert g[g.output].shape == (d, 1, length)
        return g

    def layer(self, h: int, name: str) -> int:
        """CLIPEncoderLayer: pre-norm causal self-attention and MLP, each added to its input."""
        h = self.self_attention(self.layer_norm(h, f"{name}.layer_norm1"), f"{name}.self_attn", residual=h)
        hidden = self.dense(self.layer_norm(h, f"{name}.layer_norm2"), f"{name}.mlp.fc1", self.cfg.intermediate_size)
        act = self.g.add("gelu", (hidden,), self.g[hidden].shape, f"{name}.mlp.act",
                         quick=self.cfg.hidden_act == "quick_gelu")
        return self.dense(act, f"{name}.mlp.fc2", self.cfg.hidden_size, add=h)

    def self_attention(self, x: int, name: str, residual: int) -> int:
        c, _, length = self.g[x].shape
        tensors = {f"{name}.{p}_proj.{t}": ((c, c) if t == "weight" else (c,))
                   for p in "qkv" for t in ("weight", "bias")}
        qkv = self.g.add("dense", (x,), (3 * c, 1, length), f"{name}.qkv", Layer(f"{name}.qkv", "qkv", tensors),
                         tag="attention")
        a = self.g.add("attention", (qkv,), (c, 1, length), f"{name}.attention", tag="attention",
                       heads=self.cfg.num_attention_heads, causal=True)
        return self.dense(a, f"{name}.out_proj", c, add=residual, tag="attention")

    def lookup(self, tokens: int, name: str, entries: int, by_position: bool, add: int | None = None) -> int:
        layer = Layer(name, "rows", {f"{name}.weight": (entries, self.cfg.hidden_size)})
        inputs = (tokens,) if add is None else (tokens, add)
        length = self.g[tokens].shape[2]
        return self.g.add("lookup", inputs, (self.cfg.hidden_size, 1, length), name, layer, by_position=by_position)

    def layer_norm(self, x: int, name: str) -> int:
        c = self.g[x].shape[0]
        layer = Layer(name, "norm", {f"{name}.weight": (c,), f"{name}.bias": (c,)})
        return self.g.add("layer_norm", (x,), self.g[x].shape, name, layer, eps=float(self.cfg.layer_norm_eps))

    def dense(self, x: int, name: str, out: int, add: int | None = None, tag: str = "") -> int:
        c, _, length = self.g[x].shape
        layer = Layer(name, "dense", {f"{name}.weight": (out, c), f"{name}.bias": (out,)})
        inputs = (x,) if add is None else (x, add)
        return self.g.add("dense", inputs, (out, 1, length), name, layer, tag=tag)
