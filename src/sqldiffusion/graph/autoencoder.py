"""The autoencoders of latent diffusion as graphs of primitives: `AutoencoderKL` and `VQModel`
(diffusers' `Encoder` and `Decoder`), and `AutoencoderTiny` (TAESD's `EncoderTiny` and `DecoderTiny`).

An autoencoder has several passes, each a graph built at the picture's size (height, width): the
decoder reads latents (the picture's size over `config.factor`), the encoder reads the picture.
Each reads like diffusers' `forward` of its module, with diffusers' parameter names.
"""

from __future__ import annotations

from functools import partial

from ..errors import SQLDiffusionError
from .autoencoder_config import AutoencoderKLConfig, AutoencoderTinyConfig, VQModelConfig, _EncoderDecoderConfig
from .ops import Graph, Layer

EPS = 1e-6  # every group norm of diffusers' Encoder and Decoder (resnet_eps)


def smallest_size(config) -> int:
    """The smallest picture side an autoencoder takes: one latent pixel."""
    return config.factor


def check_picture_size(config, height: int, width: int) -> None:
    factor = config.factor
    if height < 1 or width < 1 or height % factor or width % factor:
        raise SQLDiffusionError(
            f"picture size {height}x{width} does not fit this autoencoder: height and width must be positive "
            f"multiples of {factor} (its latents are {factor} times smaller on each side)")


# ---- the passes, as the registry names them (networks.py) --------------------------------------------
def build_decoder(config, height: int, width: int) -> Graph:
    """The picture (out_channels, H, W) from latents (embed_dim, H / f, W / f); a VQModel's latents
    are quantised to its codebook first, as diffusers' `VQModel.decode` does by default."""
    if isinstance(config, AutoencoderTinyConfig):
        return _TinyBuilder(config, height, width).decoder()
    return _Builder(config, height, width).decoder(quantize=isinstance(config, VQModelConfig))


def build_unquantized_decoder(config: VQModelConfig, height: int, width: int) -> Graph:
    """A VQModel's decoder with `force_not_quantize=True`: the latents decoded as they are."""
    return _Builder(config, height, width).decoder(quantize=False)


def build_encoder(config, height: int, width: int) -> Graph:
    """The latents of a picture (in_channels, H, W): an AutoencoderKL's latent distribution's mean, a
    VQModel's latents before quantisation, an AutoencoderTiny's latents (as diffusers' `encode` gives
    each)."""
    if isinstance(config, AutoencoderTinyConfig):
        return _TinyBuilder(config, height, width).encoder()
    return _Builder(config, height, width).encoder()


def build_sampling_encoder(config: AutoencoderKLConfig, height: int, width: int) -> Graph:
    """An AutoencoderKL's sample of its latent distribution: mean + std * noise, the noise drawn by
    the engine (the NOISE relation)."""
    return _Builder(config, height, width).encoder(sample=True)


class _Primitives:
    """The primitives with their parameters, as diffusers' modules name them."""

    def __init__(self, height: int, width: int) -> None:
        self.g = Graph()
        self.height, self.width = height, width

    def conv3x3(self, x: int, name: str, out: int, stride: int = 1, pad: int = 1, upsample: bool = False,
                add: int | None = None, bias: bool = True, rows: tuple[int, int] | None = None,
                part: str = "") -> int:
        """A 3x3 convolution of `out` output channels; with `rows`, only those channels of one that
        has `out` (a table of its own, named `part`)."""
        c, h, w = self.g[x].shape
        if upsample:
            h, w = 2 * h, 2 * w
        tensors = {f"{name}.weight": (out, c, 3, 3), **({f"{name}.bias": (out,)} if bias else {})}
        layer = Layer(f"{name}#{part}" if part else name, "conv3x3", tensors, rows)
        made = out if rows is None else rows[1] - rows[0]
        inputs = (x,) if add is None else (x, add)
        return self.g.add("conv3x3", inputs, (made, h // stride, w // stride), f"{name}.{part}" if part else name,
                          layer, stride=stride, pad=pad, upsample=upsample, scale=1.0)

    def dense(self, x: int, name: str, out: int, add: int | None = None, bias: bool = True,
              rows: tuple[int, int] | None = None, part: str = "") -> int:
        """A 1x1 convolution of `out` output channels; with `rows`, only those channels of one that
        has `out` (a table of its own, named `part`)."""
        c, h, w = self.g[x].shape
        tensors = {f"{name}.weight": (out, c, 1, 1), **({f"{name}.bias": (out,)} if bias else {})}
        layer = Layer(f"{name}#{part}" if part else name, "dense", tensors, rows)
        made = out if rows is None else rows[1] - rows[0]
        inputs = (x,) if add is None else (x, add)
        return self.g.add("dense", inputs, (made, h, w), f"{name}.{part}" if part else name, layer, scale=1.0)


class _Builder(_Primitives):
    """diffusers' `Encoder` and `Decoder` (AutoencoderKL, VQModel)."""

    def __init__(self, config: _EncoderDecoderConfig, height: int, width: int) -> None:
        check_picture_size(config, height, width)
        super().__init__(height, width)
        self.cfg = config

    # ---- the passes ---------------------------------------------------------------------------
    def decoder(self, quantize: bool) -> Graph:
        cfg, g, f = self.cfg, self.g, self.cfg.factor
        z = g.add("latents", (), (cfg.embed_dim, self.height // f, self.width // f), "latents")
        if quantize:
            z = self.quantized(z)
        if getattr(cfg, "use_post_quant_conv", True):  # a VQModel always has one
            z = self.dense(z, "post_quant_conv", cfg.latent_channels)                  # (B, latent, h, w)
        channels = cfg.block_out_channels[::-1]
        x = self.conv3x3(z, "decoder.conv_in", channels[0])                            # (B, c[-1], h, w)
        x = self.mid_block(x, "decoder.mid_block")
        for i, out in enumerate(channels):
            for j in range(cfg.layers_per_block + 1):
                x = self.resnet(x, f"decoder.up_blocks.{i}.resnets.{j}", out)
            if i < len(channels) - 1:  # nearest 2x, then a 3x3 convolution
                x = self.conv3x3(x, f"decoder.up_blocks.{i}.upsamplers.0.conv", out, upsample=True)
        x = self.group_norm(x, "decoder.conv_norm_out", silu=True)
        g.output = self.conv3x3(x, "decoder.conv_out", cfg.out_channels)              # (B, out, H, W)
        return g

    def encoder(self, sample: bool = False) -> Graph:
        cfg, g = self.cfg, self.g
        x = g.add("pixels", (), (cfg.in_channels, self.height, self.width), "pixels")
        x = self.conv3x3(x, "encoder.conv_in", cfg.block_out_channels[0])              # (B, c0, H, W)
        for i, out in enumerate(cfg.block_out_channels):
            for j in range(cfg.layers_per_block):
                x = self.resnet(x, f"encoder.down_blocks.{i}.resnets.{j}", out)
            if i < len(cfg.block_out_channels) - 1:  # stride 2, padded (0, 1, 0, 1): diffusers' padding 0
                x = self.conv3x3(x, f"encoder.down_blocks.{i}.downsamplers.0.conv", out, stride=2, pad=0)
        x = self.mid_block(x, "encoder.mid_block")
        x = self.group_norm(x, "encoder.conv_norm_out", silu=True)
        if isinstance(cfg, VQModelConfig):
            h = self.conv3x3(x, "encoder.conv_out", cfg.latent_channels)
            g.output = self.dense(h, "quant_conv", cfg.embed_dim)                      # (B, embed, h, w)
            return g
        c = cfg.latent_channels
        if cfg.use_quant_conv:
            moments = self.conv3x3(x, "encoder.conv_out", 2 * c)                       # double_z
            half = partial(self.dense, moments, "quant_conv", 2 * c)  # quant_conv's halves, each a table
        else:  # the halves of conv_out's channels, each a table
            half = partial(self.conv3x3, x, "encoder.conv_out", 2 * c)
        mean = half(rows=(0, c), part="mean")                                          # (B, latent, h, w)
        if not sample:
            g.output = mean
            return g
        logvar = half(rows=(c, 2 * c), part="logvar")
        noise = g.add("noise", (), g[mean].shape, "noise")
        g.output = g.add("gaussian_sample", (mean, logvar, noise), g[mean].shape, "latent_dist.sample")
        return g

    # ---- blocks -------------------------------------------------------------------------------
    def quantized(self, z: int) -> int:
        """VectorQuantizer: each latent pixel replaced by its nearest codebook vector. The codebook
        is read as a dense layer over each code's one-hot vector (a row per code, b its index)."""
        n, d = self.cfg.num_vq_embeddings, self.cfg.embed_dim
        codes = self.g.add("codes", (), (), "quantize.codes", codes=n)
        one_hot = self.g.add("one_hot", (codes,), (n,), "quantize.one_hot", classes=n)
        layer = Layer("quantize.embedding", "embedding", {"quantize.embedding.weight": (n, d)})
        book = self.g.add("dense", (one_hot,), (d,), "quantize.embedding", layer)
        return self.g.add("nearest", (z, book), self.g[z].shape, "quantize")

    def mid_block(self, x: int, name: str) -> int:
        """UNetMidBlock2D without a time embedding: resnet, attention (one head), resnet."""
        c = self.g[x].channels
        x = self.resnet(x, f"{name}.resnets.0", c)
        if self.cfg.mid_block_add_attention:
            x = self.attention(x, f"{name}.attentions.0")
        return self.resnet(x, f"{name}.resnets.1", c)

    def resnet(self, x: int, name: str, out: int) -> int:
        """ResnetBlock2D without a time embedding: shortcut(x) + conv2(silu(norm2(conv1(silu(norm1(x))))))."""
        h = self.group_norm(x, f"{name}.norm1", silu=True)
        h = self.conv3x3(h, f"{name}.conv1", out)
        h = self.group_norm(h, f"{name}.norm2", silu=True)
        shortcut = x if self.g[x].channels == out else self.dense(x, f"{name}.conv_shortcut", out)
        return self.conv3x3(h, f"{name}.conv2", out, add=shortcut)

    def attention(self, x: int, name: str) -> int:
        """diffusers' Attention as the VAE's mid block has it: group norm, one head over all pixels,
        the output projection plus the residual (rescale_output_factor 1)."""
        c, h, w = self.g[x].shape
        n = self.group_norm(x, f"{name}.group_norm")
        tensors = {f"{name}.to_{p}.{t}": ((c, c) if t == "weight" else (c,)) for p in "qkv" for t in ("weight", "bias")}
        qkv = self.g.add("dense", (n,), (3 * c, h, w), f"{name}.qkv", Layer(f"{name}.qkv", "qkv", tensors),
                         tag="attention", scale=1.0)
        a = self.g.add("attention", (qkv,), (c, h, w), f"{name}.attention", heads=1)
        out = Layer(f"{name}.to_out.0", "dense", {f"{name}.to_out.0.weight": (c, c), f"{name}.to_out.0.bias": (c,)})
        return self.g.add("dense", (a, x), (c, h, w), f"{name}.to_out.0", out, tag="attention", scale=1.0)

    def group_norm(self, x: int, name: str, silu: bool = False) -> int:
        c = self.g[x].channels
        layer = Layer(name, "norm", {f"{name}.weight": (c,), f"{name}.bias": (c,)})
        return self.g.add("group_norm", (x,), self.g[x].shape, name, layer, groups=self.cfg.norm_num_groups,
                          eps=EPS, silu=silu)


class _TinyBuilder(_Primitives):
    """TAESD: diffusers' `EncoderTiny` and `DecoderTiny`, each an `nn.Sequential` named `layers`
    whose modules are numbered in order (activations and upsamplings hold numbers too)."""

    def __init__(self, config: AutoencoderTinyConfig, height: int, width: int) -> None:
        check_picture_size(config, height, width)
        super().__init__(height, width)
        self.cfg = config

    def decoder(self) -> Graph:
        cfg, g, f = self.cfg, self.g, self.cfg.factor
        x = g.add("latents", (), (cfg.latent_channels, self.height // f, self.width // f), "latents")
        x = g.add("tanh_clamp", (x,), g[x].shape, "decoder.clamp", limit=3.0)        # tanh(x / 3) * 3
        channels = cfg.decoder_block_out_channels
        x = self.relu(self.conv3x3(x, "decoder.layers.0", channels[0]))             # layers.1 is the ReLU
        k = 2
        for i, (out, blocks) in enumerate(zip(channels, cfg.num_decoder_blocks)):
            for _ in range(blocks):
                x, k = self.block(x, f"decoder.layers.{k}", out), k + 1
            if i < len(channels) - 1:  # layers.k is nn.Upsample (nearest 2x), which the conv reads first
                x, k = self.conv3x3(x, f"decoder.layers.{k + 1}", out, upsample=True, bias=False), k + 2
            else:
                x = self.conv3x3(x, f"decoder.layers.{k}", cfg.out_channels)          # (B, out, H, W)
        g.output = g.add("affine", (x,), g[x].shape, "decoder.to_signed", scale=2.0, shift=-1.0)  # x * 2 - 1
        return g

    def encoder(self) -> Graph:
        cfg, g = self.cfg, self.g
        x = g.add("pixels", (), (cfg.in_channels, self.height, self.width), "pixels")
        x = g.add("affine", (x,), g[x].shape, "encoder.to_unsigned", scale=0.5, shift=0.5)  # (x + 1) / 2
        k = 0
        for i, (out, blocks) in enumerate(zip(cfg.encoder_block_out_channels, cfg.num_encoder_blocks)):
            if i == 0:
                x = self.conv3x3(x, f"encoder.layers.{k}", out)
            else:  # halves the picture; no bias
                x = self.conv3x3(x, f"encoder.layers.{k}", out, stride=2, bias=False)
            k += 1
            for _ in range(blocks):
                x, k = self.block(x, f"encoder.layers.{k}", out), k + 1
        g.output = self.conv3x3(x, f"encoder.layers.{k}", cfg.latent_channels)       # (B, latent, h, w)
        return g

    def block(self, x: int, name: str, out: int) -> int:
        """AutoencoderTinyBlock: relu(conv(relu(conv(relu(conv(x))))) + skip(x))."""
        h = self.relu(self.conv3x3(x, f"{name}.conv.0", out))
        h = self.relu(self.conv3x3(h, f"{name}.conv.2", out))
        skip = x if self.g[x].channels == out else self.dense(x, f"{name}.skip", out, bias=False)
        return self.relu(self.conv3x3(h, f"{name}.conv.4", out, add=skip))

    def relu(self, x: int) -> int:
        return self.g.add("relu", (x,), self.g[x].shape, f"{self.g[x].label}.relu")
