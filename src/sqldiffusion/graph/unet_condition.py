"""`UNet2DConditionModel` (Stable Diffusion's UNet) as a graph of primitives, built from its config.

Reads top to bottom like diffusers' `UNet2DConditionModel.forward`, with diffusers' parameter
names. Its resnets, convolutions, norms and time embedding are `UNet2DModel`'s (unet.py); what it
adds is the `Transformer2DModel` of each cross-attention block, whose cross-attention reads the
text: the graph input "encoder_hidden_states", a token sequence (cross_attention_dim, 1, L), one
row per text token.
"""

from __future__ import annotations

from .ops import Graph, Layer
from .unet import _UNetBuilder, check_image_size
from .unet_condition_config import FF_MULT, LAYER_NORM_EPS, TRANSFORMER_NORM_EPS, UNetConditionConfig

TOKENS = 77  # the text's length: CLIP's tokenizer pads every prompt to it (model_max_length)


def build_unet_condition(config: UNetConditionConfig, height: int, width: int, tokens: int = TOKENS) -> Graph:
    return _ConditionalUNetBuilder(config, tokens).build(height, width)


class _ConditionalUNetBuilder(_UNetBuilder):
    """UNet2DModel's builder (its resnets, convolutions and norms) with the cross-attention blocks."""

    def __init__(self, config: UNetConditionConfig, tokens: int) -> None:
        super().__init__(config)
        self.tokens = tokens

    # ---- the network ----------------------------------------------------------------------
    def build(self, height: int, width: int) -> Graph:
        cfg, g = self.cfg, self.g
        check_image_size(cfg, height, width)
        n, c0 = len(cfg.block_out_channels), cfg.block_out_channels[0]

        # 1. time (every resnet reads silu(temb)) and the text every cross-attention reads
        self.temb = self.time_embedding()                                              # (B, T)
        self.text = g.add("encoder_hidden_states", (), (cfg.cross_attention_dim, 1, self.tokens),
                          "encoder_hidden_states")                                     # (B, D, 1, L)

        # 2. pre-process
        x = g.add("sample", (), (cfg.in_channels, height, width), "sample",
                  center=cfg.center_input_sample)                                      # (B, in, H, W)
        x = self.conv3x3(x, "conv_in", c0)                                             # (B, c0, H, W)

        # 3. down: every resnet (+ transformer) output and every downsample is kept for the skips
        skips = [x]
        for i, kind in enumerate(cfg.down_block_types):
            out = cfg.block_out_channels[i]
            for j in range(cfg.layers(i)):
                x = self.resnet(x, f"down_blocks.{i}.resnets.{j}", out)
                if kind == "CrossAttnDownBlock2D":
                    x = self.transformer(x, f"down_blocks.{i}.attentions.{j}", cfg.heads(i), cfg.transformer_layers(i))
                skips.append(x)
            if i < n - 1:
                x = self.conv3x3(x, f"down_blocks.{i}.downsamplers.0.conv", out, stride=2,
                                 pad=cfg.downsample_padding)                            # (B, out, H/2, W/2)
                skips.append(x)

        # 4. mid: resnet, transformer, resnet (UNetMidBlock2DCrossAttn), or none
        if cfg.mid_block_type is not None:
            c, scale = cfg.block_out_channels[-1], cfg.mid_block_scale_factor
            x = self.resnet(x, "mid_block.resnets.0", c, scale)
            x = self.transformer(x, "mid_block.attentions.0", cfg.heads(n - 1), cfg.transformer_layers(n - 1))
            x = self.resnet(x, "mid_block.resnets.1", c, scale)

        # 5. up: each resnet first concatenates the latest skip (diffusers: cat([x, skip], dim=1))
        for i, kind in enumerate(cfg.up_block_types):
            level = n - 1 - i  # the down block of the same width
            out = cfg.block_out_channels[level]
            for j in range(cfg.layers(level) + 1):
                x = self.concat(x, skips.pop(), f"up_blocks.{i}.resnets.{j}.concat")
                x = self.resnet(x, f"up_blocks.{i}.resnets.{j}", out)
                if kind == "CrossAttnUpBlock2D":
                    x = self.transformer(x, f"up_blocks.{i}.attentions.{j}", cfg.heads(level),
                                         cfg.transformer_layers(level))
            if i < n - 1:
                x = self.conv3x3(x, f"up_blocks.{i}.upsamplers.0.conv", out, upsample=True)  # (B, out, 2H, 2W)

        # 6. post-process
        x = self.group_norm(x, "conv_norm_out", silu=True)
        g.output = self.conv3x3(x, "conv_out", cfg.out_channels)                       # (B, out, H, W)
        return g

    # ---- Transformer2DModel -----------------------------------------------------------------
    def transformer(self, x: int, name: str, heads: int, layers: int) -> int:
        """Transformer2DModel: proj_out(blocks(proj_in(group_norm(x)))) + x, proj_in and proj_out a
        dense layer per pixel (a 1x1 convolution, or a Linear with use_linear_projection)."""
        conv = not self.cfg.use_linear_projection
        c = self.g[x].channels
        h = self.group_norm(x, f"{name}.norm", eps=TRANSFORMER_NORM_EPS)
        h = self.dense(h, f"{name}.proj_in", c, conv1x1=conv)                             # (B, c, H, W)
        for k in range(layers):
            h = self.transformer_block(h, f"{name}.transformer_blocks.{k}", heads)
        return self.dense(h, f"{name}.proj_out", c, conv1x1=conv, add=x)                  # (B, c, H, W)

    def transformer_block(self, x: int, name: str, heads: int) -> int:
        """BasicTransformerBlock: self-attention, cross-attention to the text, GEGLU feed-forward,
        each after a layer norm and added to what it read."""
        c = self.g[x].channels
        a = self.self_attention(self.layer_norm(x, f"{name}.norm1"), f"{name}.attn1", heads)
        x = self.dense(a, f"{name}.attn1.to_out.0", c, add=x, tag="attention")         # attn1(norm1(x)) + x
        a = self.cross_attention(self.layer_norm(x, f"{name}.norm2"), f"{name}.attn2", heads)
        x = self.dense(a, f"{name}.attn2.to_out.0", c, add=x, tag="attention")         # attn2(norm2(x), text) + x
        return self.feed_forward(self.layer_norm(x, f"{name}.norm3"), f"{name}.ff", add=x)  # ff(norm3(x)) + x

    def self_attention(self, x: int, name: str, heads: int) -> int:
        """Multi-head attention over the pixels, from one dense layer of the queries, keys and values
        (to_q, to_k, to_v: no biases)."""
        c, h, w = self.g[x].shape
        tensors = {f"{name}.to_{p}.weight": (c, c) for p in "qkv"}
        qkv = self.g.add("dense", (x,), (3 * c, h, w), f"{name}.qkv", Layer(f"{name}.qkv", "qkv", tensors),
                         tag="attention")                                              # (B, 3c, H, W)
        return self.g.add("attention", (qkv,), (c, h, w), f"{name}.attention", heads=heads)

    def cross_attention(self, x: int, name: str, heads: int) -> int:
        """Multi-head attention of the pixels (queries: to_q) to the text's tokens (keys and values:
        to_k and to_v of each token, one dense layer over the text; no biases)."""
        c, h, w = self.g[x].shape
        q = self.g.add("dense", (x,), (c, h, w), f"{name}.to_q",
                       Layer(f"{name}.to_q", "dense", {f"{name}.to_q.weight": (c, c)}), tag="attention")
        d = self.cfg.cross_attention_dim
        tensors = {f"{name}.to_{p}.weight": (c, d) for p in "kv"}
        kv = self.g.add("dense", (self.text,), (2 * c, 1, self.tokens), f"{name}.kv",
                        Layer(f"{name}.kv", "kv", tensors), tag="attention")           # (B, 2c, 1, L)
        return self.g.add("cross_attention", (q, kv), (c, h, w), f"{name}.cross_attention", heads=heads)

    def feed_forward(self, x: int, name: str, add: int) -> int:
        """FeedForward with GEGLU: net.2(hidden * gelu(gate)), hidden and gate the two halves of
        net.0.proj's outputs (each a dense layer of its rows), plus `add`."""
        c, h, w = self.g[x].shape
        inner = FF_MULT * c
        proj = f"{name}.net.0.proj"
        tensors = {f"{proj}.weight": (2 * inner, c), f"{proj}.bias": (2 * inner,)}
        hidden, gate = (self.g.add("dense", (x,), (inner, h, w), f"{proj}.{part}",
                                   Layer(f"{proj}#{part}", "dense", tensors, rows))
                        for part, rows in (("hidden", (0, inner)), ("gate", (inner, 2 * inner))))
        gate = self.g.add("gelu", (gate,), (inner, h, w), f"{name}.net.0.gelu", quick=False)
        x = self.g.add("multiply", (hidden, gate), (inner, h, w), f"{name}.net.0.multiply")
        return self.dense(x, f"{name}.net.2", c, add=add)                                # (B, c, H, W)

    def layer_norm(self, x: int, name: str) -> int:
        c = self.g[x].channels
        layer = Layer(name, "norm", {f"{name}.weight": (c,), f"{name}.bias": (c,)})
        return self.g.add("layer_norm", (x,), self.g[x].shape, name, layer, eps=LAYER_NORM_EPS)
