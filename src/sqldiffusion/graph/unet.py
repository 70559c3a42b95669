"""`UNet2DModel` as a graph of primitives, built from its config.

Reads top to bottom like diffusers' `UNet2DModel.forward`; the shape of every relation is noted
beside the step that makes it. Parameter names are diffusers' own, so the graph also says which
tensors a weight file must hold and with which shapes.
"""

from __future__ import annotations

from ..errors import SQLDiffusionError
from .ops import Graph, Layer
from .unet_config import UNetConfig


def build_unet(config: UNetConfig, height: int, width: int) -> Graph:
    return _UNetBuilder(config).build(height, width)


def smallest_size(config: UNetConfig) -> int:
    """The smallest image side the model takes: it halves the image once per block but the last."""
    return 2 ** (len(config.block_out_channels) - 1)


def check_image_size(config: UNetConfig, height: int, width: int) -> None:
    factor = smallest_size(config)
    if height < 1 or width < 1 or height % factor or width % factor:
        raise SQLDiffusionError(
            f"image size {height}x{width} does not fit this model: height and width must be positive "
            f"multiples of {factor} (it halves the image {factor.bit_length() - 1} times)"
        )


class _UNetBuilder:
    def __init__(self, config: UNetConfig) -> None:
        self.cfg = config
        self.g = Graph()

    # ---- the network ----------------------------------------------------------------------
    def build(self, height: int, width: int) -> Graph:
        cfg, g = self.cfg, self.g
        check_image_size(cfg, height, width)
        c0 = cfg.block_out_channels[0]

        # 1. time: sinusoidal projection, two linear layers (plus the class embedding, for a
        # class-conditional model); every resnet reads silu(temb)
        self.temb = self.time_embedding()                                              # (B, T)

        # 2. pre-process
        x = g.add("sample", (), (cfg.in_channels, height, width), "sample",
                  center=cfg.center_input_sample)                                      # (B, in, H, W)
        x = self.conv3x3(x, "conv_in", c0)                                             # (B, c0, H, W)

        # 3. down: every resnet (+ attention) output and every downsample is kept for the skips
        skips = [x]
        for i, kind in enumerate(cfg.down_block_types):
            out = cfg.block_out_channels[i]
            for j in range(cfg.layers_per_block):
                x = self.resnet(x, f"down_blocks.{i}.resnets.{j}", out)
                if kind == "AttnDownBlock2D":
                    x = self.attention(x, f"down_blocks.{i}.attentions.{j}")
                skips.append(x)
            if i < len(cfg.down_block_types) - 1:
                name = f"down_blocks.{i}.downsamplers.0"
                if self.resnet_sampling(kind, cfg.downsample_type, "ResnetDownsampleBlock2D"):
                    x = self.resnet(x, name, out, resample="down")                        # (B, out, H/2, W/2)
                else:
                    x = self.conv3x3(x, f"{name}.conv", out, stride=2, pad=cfg.downsample_padding)
                skips.append(x)

        # 4. mid
        if cfg.mid_block_type is not None:
            scale = cfg.mid_block_scale_factor
            x = self.resnet(x, "mid_block.resnets.0", self.g[x].channels, scale)
            if cfg.add_attention:
                x = self.attention(x, "mid_block.attentions.0", scale, groups=cfg.mid_attention_groups(),
                                   norm=cfg.mid_attention_groups() is not None)
            x = self.resnet(x, "mid_block.resnets.1", self.g[x].channels, scale)

        # 5. up: each resnet first concatenates the latest skip (diffusers: cat([x, skip], dim=1))
        for i, kind in enumerate(cfg.up_block_types):
            out = cfg.block_out_channels[::-1][i]
            for j in range(cfg.layers_per_block + 1):
                skip = skips.pop()
                x = self.concat(x, skip, f"up_blocks.{i}.resnets.{j}.concat")
                x = self.resnet(x, f"up_blocks.{i}.resnets.{j}", out)
                if kind == "AttnUpBlock2D":
                    x = self.attention(x, f"up_blocks.{i}.attentions.{j}")
            if i < len(cfg.up_block_types) - 1:
                name = f"up_blocks.{i}.upsamplers.0"
                if self.resnet_sampling(kind, cfg.upsample_type, "ResnetUpsampleBlock2D"):
                    x = self.resnet(x, name, out, resample="up")                          # (B, out, 2H, 2W)
                else:
                    x = self.conv3x3(x, f"{name}.conv", out, upsample=True)

        # 6. post-process
        x = self.group_norm(x, "conv_norm_out", silu=True)
        x = self.conv3x3(x, "conv_out", cfg.out_channels)                             # (B, out, H, W)
        g.output = x
        return g

    # ---- blocks ---------------------------------------------------------------------------
    def time_embedding(self) -> int:
        """silu(TimestepEmbedding(time_proj(t)) + the class embedding, if any): what every resnet reads."""
        cfg, g = self.cfg, self.g
        t = g.add("timesteps", (), (), "timesteps")
        emb = self.time_proj(t, "time_proj")                                          # (B, c0)
        emb = self.dense(emb, "time_embedding.linear_1", cfg.time_embed_dim)        # (B, T)
        emb = g.add("silu", (emb,), (cfg.time_embed_dim,), "time_embedding.act")
        classes = self.class_embedding() if cfg.class_conditional else None          # (B, T)
        emb = self.dense(emb, "time_embedding.linear_2", cfg.time_embed_dim, add=classes)  # (B, T)
        return g.add("silu", (emb,), (cfg.time_embed_dim,), "time_embedding.silu")

    @staticmethod
    def resnet_sampling(kind: str, sample_type: str, resnet_kind: str) -> bool:
        """Whether a block halves or doubles by a resnet (else a convolution), as diffusers'
        get_down_block/get_up_block decide: always in the Resnet*sampleBlock2D, by the config's
        downsample_type/upsample_type in the attention blocks, never in the plain ones."""
        return kind == resnet_kind or (kind.startswith("Attn") and sample_type == "resnet")

    def resnet(self, x: int, name: str, out: int, scale: float = 1.0, resample: str = "") -> int:
        """ResnetBlock2D: (shortcut(x) + conv2(silu(norm2(conv1(silu(norm1(x))) + proj(temb))))) / scale.

        `resample` "down" or "up": both paths are halved (2x2 mean) or doubled (nearest) after
        silu(norm1(x)). With resnet_time_scale_shift "scale_shift", the time embedding's projection
        is a scale and a shift applied after norm2 instead of a sum before it."""
        h = self.group_norm(x, f"{name}.norm1", silu=True)
        if resample:
            op = "avg_pool" if resample == "down" else "upsample"
            h, x = (self.resized(v, op, f"{name}.{resample}sample") for v in (h, x))
        if self.cfg.resnet_time_scale_shift == "scale_shift":
            proj = f"{name}.time_emb_proj"
            tensors = {f"{proj}.weight": (2 * out, self.cfg.time_embed_dim), f"{proj}.bias": (2 * out,)}
            scale_v, shift_v = (self.g.add("dense", (self.temb,), (out,), f"{proj}.{part}",
                                           Layer(f"{proj}#{part}", "dense", tensors, rows)) for part, rows in
                                (("scale", (0, out)), ("shift", (out, 2 * out))))
            h = self.conv3x3(h, f"{name}.conv1", out)                                      # (B, out, H, W)
            h = self.group_norm(h, f"{name}.norm2")
            h = self.g.add("scale_shift", (h, scale_v, shift_v), self.g[h].shape, f"{name}.scale_shift", silu=True)
        else:
            t = self.dense(self.temb, f"{name}.time_emb_proj", out)                        # (B, out)
            h = self.conv3x3(h, f"{name}.conv1", out, add=t)                               # (B, out, H, W)
            h = self.group_norm(h, f"{name}.norm2", silu=True)
        shortcut = x if self.g[x].channels == out else self.dense(x, f"{name}.conv_shortcut", out, conv1x1=True)
        return self.conv3x3(h, f"{name}.conv2", out, add=shortcut, scale=scale)

    def resized(self, x: int, op: str, label: str) -> int:
        c, h, w = self.g[x].shape
        shape = (c, h // 2, w // 2) if op == "avg_pool" else (c, 2 * h, 2 * w)
        return self.g.add(op, (x,), shape, label)

    def class_embedding(self) -> int:
        """The class label's embedding (B, T): a row of the embedding table (a dense layer over
        the label's one-hot vector), or for class_embed_type "timestep" the label embedded as a
        timestep is (its own two linear layers), or for "identity" the embedding itself, given."""
        cfg, g = self.cfg, self.g
        if cfg.class_embed_type == "identity":  # the caller's own embeddings, one vector (T,) per image
            given = g.add("class_embeddings", (), (cfg.time_embed_dim, 1, 1), "class_embeddings")
            return g.add("vector_of", (given,), (cfg.time_embed_dim,), "class_embedding")
        labels = g.add("class_labels", (), (), "class_labels")
        if cfg.class_embed_type == "timestep":
            e = self.time_proj(labels, "class_embedding.time_proj")
            e = self.dense(e, "class_embedding.linear_1", cfg.time_embed_dim)
            e = g.add("silu", (e,), (cfg.time_embed_dim,), "class_embedding.act")
            return self.dense(e, "class_embedding.linear_2", cfg.time_embed_dim)
        n = cfg.num_class_embeds
        one_hot = g.add("one_hot", (labels,), (n,), "class_embedding.one_hot", classes=n)
        layer = Layer("class_embedding", "embedding", {"class_embedding.weight": (n, cfg.time_embed_dim)})
        return g.add("dense", (one_hot,), (cfg.time_embed_dim,), "class_embedding", layer)

    def time_proj(self, t: int, label: str) -> int:
        return self.g.add("time_proj", (t,), (self.cfg.block_out_channels[0],), label,
                          flip_sin_to_cos=self.cfg.flip_sin_to_cos, freq_shift=self.cfg.freq_shift)

    def attention(self, x: int, name: str, scale: float = 1.0, groups: int | None = None, norm: bool = True) -> int:
        """Attention with a residual connection, over all pixels, as diffusers' spatial attention
        block (`norm`: after a group norm, as everywhere but some mid blocks)."""
        c, h, w = self.g[x].shape
        heads = self.cfg.heads(c)
        n = self.group_norm(x, f"{name}.group_norm", groups=groups) if norm else x
        qkv_tensors = {f"{name}.to_{p}.{t}": ((c, c) if t == "weight" else (c,))
                       for p in "qkv" for t in ("weight", "bias")}
        qkv = self.g.add("dense", (n,), (3 * c, h, w), f"{name}.qkv", Layer(f"{name}.qkv", "qkv", qkv_tensors),
                         tag="attention")
        a = self.g.add("attention", (qkv,), (c, h, w), f"{name}.attention", heads=heads)  # (B, c, H, W)
        return self.dense(a, f"{name}.to_out.0", c, add=x, scale=scale, tag="attention")

    # ---- primitives with their parameters -------------------------------------------------
    def conv3x3(self, x: int, name: str, out: int, stride: int = 1, pad: int = 1, upsample: bool = False,
                add: int | None = None, scale: float = 1.0) -> int:
        c, h, w = self.g[x].shape
        if upsample:
            h, w = 2 * h, 2 * w
        shape = (out, h // stride, w // stride)
        layer = Layer(name, "conv3x3", {f"{name}.weight": (out, c, 3, 3), f"{name}.bias": (out,)})
        inputs = (x,) if add is None else (x, add)
        return self.g.add("conv3x3", inputs, shape, name, layer, stride=stride, pad=pad, upsample=upsample, scale=scale)

    def dense(self, x: int, name: str, out: int, conv1x1: bool = False, add: int | None = None,
              scale: float = 1.0, tag: str = "") -> int:
        src = self.g[x]
        weight = (out, src.channels, 1, 1) if conv1x1 else (out, src.channels)
        layer = Layer(name, "dense", {f"{name}.weight": weight, f"{name}.bias": (out,)})
        inputs = (x,) if add is None else (x, add)
        return self.g.add("dense", inputs, (out, *src.shape[1:]), name, layer, tag, scale=scale)

    def group_norm(self, x: int, name: str, silu: bool = False, groups: int | None = None,
                   eps: float | None = None) -> int:
        c = self.g[x].channels
        layer = Layer(name, "norm", {f"{name}.weight": (c,), f"{name}.bias": (c,)})
        return self.g.add("group_norm", (x,), self.g[x].shape, name, layer, groups=groups or self.cfg.norm_num_groups,
                          eps=self.cfg.norm_eps if eps is None else eps, silu=silu)

    def concat(self, x: int, skip: int, label: str) -> int:
        (c1, h, w), c2 = self.g[x].shape, self.g[skip].channels
        return self.g.add("concat", (x, skip), (c1 + c2, h, w), label)


def unet_layers(config: UNetConfig) -> Graph:
    """The graph at the smallest image size the model accepts: enough to list its layers and tensors."""
    size = smallest_size(config)
    return build_unet(config, size, size)
