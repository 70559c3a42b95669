"""The autoencoders' configurations (`AutoencoderKL`, `VQModel`, `AutoencoderTiny`): each field declared
once with what it may hold, checked when a config.json is read, and the checks of what spans fields
or what the SQL autoencoders do not run (one line each, naming the option)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SQLDiffusionError
from ..fields import Field, check, declared, declared_checks, shown
from .unet_config import MAX_BLOCKS, MAX_CHANNELS, MAX_LAYERS, MAX_SIZE

MAX_CODES = 1 << 16  # codebook entries of a VQModel (ldm-celebahq-256 has 8192)
_CHANNELS = Field(int, 1, MAX_CHANNELS)
_IMAGE_CHANNELS = Field(int, 1, 256)
_SIZE = Field(int, 1, MAX_SIZE)
_SIZE_PAIR = Field(int, 1, MAX_SIZE, items=(2, 2))  # sample_size given as [height, width]
_SCALE = Field(float, 0, 1e6, low_open=True)
_BLOCK_CHANNELS = Field(int, 1, MAX_CHANNELS, items=(1, MAX_BLOCKS))
_BLOCK_COUNTS = Field(int, 0, MAX_LAYERS, items=(1, MAX_BLOCKS))
_ACTIVATIONS = ("silu", "swish", "relu", "gelu", "mish")  # what diffusers' get_activation knows


def _refuse(source: str, key: str, value, supported: str) -> None:
    raise SQLDiffusionError(f"{source}: {key}={shown(value)} is not supported (supported: {supported})")


class _AutoencoderConfig:
    """What every autoencoder config does: read a config.json's settings, check each declared field,
    then what spans fields (`validate`)."""

    class_name = ""
    _unsupported: dict[str, tuple] = {}  # option -> the values we run; any other is refused in one line

    @classmethod
    def from_dict(cls, cfg: dict, source: str = "config.json"):
        name = cfg.get("_class_name", cls.class_name)
        if name != cls.class_name:
            raise SQLDiffusionError(f"{source}: model class {shown(name)} is not a {cls.class_name}")
        for key, allowed in cls._unsupported.items():
            if key in cfg and not any(cfg[key] == a and type(cfg[key]) is type(a) for a in allowed):
                _refuse(source, key, cfg[key], ", ".join(map(repr, allowed)))
        checks = dict(declared_checks(cls))
        if isinstance(cfg.get("sample_size"), (list, tuple)):
            checks["sample_size"] = _SIZE_PAIR
        kwargs = {key: check(source, key, cfg[key], spec) for key, spec in checks.items() if key in cfg}
        config = cls(**kwargs, raw=dict(cfg))
        config.validate(source)
        return config

    def validate(self, source: str) -> None:
        """What spans fields, one line naming the first problem."""

    @property
    def factor(self) -> int:
        """How many times smaller the latents are than the picture, on each side."""
        raise NotImplementedError


@dataclass(frozen=True)
class _EncoderDecoderConfig(_AutoencoderConfig):
    """The fields diffusers' `Encoder` and `Decoder` are built from: AutoencoderKL's and VQModel's."""

    in_channels: int = declared(3, _IMAGE_CHANNELS)
    out_channels: int = declared(3, _IMAGE_CHANNELS)
    down_block_types: tuple[str, ...] = declared(("DownEncoderBlock2D",), Field(str, items=(1, MAX_BLOCKS)))
    up_block_types: tuple[str, ...] = declared(("UpDecoderBlock2D",), Field(str, items=(1, MAX_BLOCKS)))
    block_out_channels: tuple[int, ...] = declared((64,), _BLOCK_CHANNELS)
    layers_per_block: int = declared(1, Field(int, 1, MAX_LAYERS))  # the decoder's blocks have one more
    act_fn: str = declared("silu", Field(str, choices=_ACTIVATIONS))
    norm_num_groups: int = declared(32, _CHANNELS)
    sample_size: int | tuple[int, int] = declared(32, _SIZE)  # or [height, width]
    scaling_factor: float = declared(0.18215, _SCALE)  # the pipelines multiply the latents by it
    mid_block_add_attention: bool = declared(True, Field(bool))
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    _down_block = "DownEncoderBlock2D"
    _up_block = "UpDecoderBlock2D"

    @property
    def factor(self) -> int:
        return 2 ** (len(self.block_out_channels) - 1)

    def validate(self, source: str) -> None:
        def fail(msg: str) -> None:
            raise SQLDiffusionError(f"{source}: {msg}")

        n = len(self.block_out_channels)
        if len(self.down_block_types) != n or len(self.up_block_types) != n:
            fail("down_block_types, up_block_types and block_out_channels must have the same length")
        for key, kinds, kind in (("down_block_types", self.down_block_types, self._down_block),
                                 ("up_block_types", self.up_block_types, self._up_block)):
            other = next((k for k in kinds if k != kind), None)
            if other is not None:
                fail(f"{key} holds {shown(other)}, which is not supported (supported: {kind})")
        for c in self.block_out_channels:
            if c % self.norm_num_groups:
                fail(f"{c} channels cannot be split into norm_num_groups={self.norm_num_groups} groups")


@dataclass(frozen=True)
class AutoencoderKLConfig(_EncoderDecoderConfig):
    """`diffusers.AutoencoderKL`'s config (same names, same defaults)."""

    latent_channels: int = declared(4, _IMAGE_CHANNELS)
    shift_factor: float | None = declared(None, Field(float, -1e6, 1e6, nullable=True))  # subtracted before scaling
    latents_mean: tuple[float, ...] | None = declared(None, Field(float, -1e6, 1e6, nullable=True, items=(1, 256)))
    latents_std: tuple[float, ...] | None = declared(None, Field(float, 0, 1e6, nullable=True, items=(1, 256)))
    force_upcast: bool = declared(True, Field(bool))  # for fp16 runs: every pass here is float32
    use_quant_conv: bool = declared(True, Field(bool))
    use_post_quant_conv: bool = declared(True, Field(bool))

    class_name = "AutoencoderKL"
    _unsupported = {"act_fn": ("silu", "swish")}

    @property
    def embed_dim(self) -> int:
        """The channels of the latents the decoder takes."""
        return self.latent_channels


@dataclass(frozen=True)
class VQModelConfig(_EncoderDecoderConfig):
    """`diffusers.VQModel`'s config (same names, same defaults): AutoencoderKL's encoder and decoder
    around a codebook."""

    latent_channels: int = declared(3, _IMAGE_CHANNELS)
    num_vq_embeddings: int = declared(256, Field(int, 1, MAX_CODES))
    vq_embed_dim: int | None = declared(None, Field(int, 1, 256, nullable=True))  # None: latent_channels
    norm_type: str = declared("group", Field(str, choices=("group", "spatial")))
    lookup_from_codebook: bool = declared(False, Field(bool))
    force_upcast: bool = declared(False, Field(bool))

    class_name = "VQModel"
    _unsupported = {"act_fn": ("silu", "swish"),
                    "norm_type": ("group",),  # "spatial" (MoVQ) conditions every decoder norm on the latents
                    "lookup_from_codebook": (False,)}  # decoding codebook indices rather than latents

    @property
    def embed_dim(self) -> int:
        """The channels of the latents the decoder takes: the codebook's."""
        return self.vq_embed_dim or self.latent_channels


@dataclass(frozen=True)
class AutoencoderTinyConfig(_AutoencoderConfig):
    """`diffusers.AutoencoderTiny`'s config (TAESD; same names, same defaults)."""

    in_channels: int = declared(3, _IMAGE_CHANNELS)
    out_channels: int = declared(3, _IMAGE_CHANNELS)
    encoder_block_out_channels: tuple[int, ...] = declared((64, 64, 64, 64), _BLOCK_CHANNELS)
    decoder_block_out_channels: tuple[int, ...] = declared((64, 64, 64, 64), _BLOCK_CHANNELS)
    act_fn: str = declared("relu", Field(str, choices=_ACTIVATIONS))
    upsample_fn: str = declared("nearest", Field(str, choices=("nearest", "bilinear", "bicubic")))
    latent_channels: int = declared(4, _IMAGE_CHANNELS)
    upsampling_scaling_factor: int = declared(2, Field(int, 1, 8))
    num_encoder_blocks: tuple[int, ...] = declared((1, 3, 3, 3), _BLOCK_COUNTS)
    num_decoder_blocks: tuple[int, ...] = declared((3, 3, 3, 1), _BLOCK_COUNTS)
    # where diffusers' AutoencoderTiny.forward stores latents as bytes: (x / (2 m) + shift) in [0, 1]
    latent_magnitude: float = declared(3, Field(float, 0, 1e6, low_open=True))
    latent_shift: float = declared(0.5, Field(float, -1e6, 1e6))
    force_upcast: bool = declared(False, Field(bool))
    scaling_factor: float = declared(1.0, _SCALE)
    shift_factor: float = declared(0.0, Field(float, -1e6, 1e6))
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    class_name = "AutoencoderTiny"
    _unsupported = {"act_fn": ("relu",), "upsample_fn": ("nearest",), "upsampling_scaling_factor": (2,)}

    @property
    def factor(self) -> int:
        return 2 ** (len(self.num_decoder_blocks) - 1)

    @property
    def embed_dim(self) -> int:
        return self.latent_channels

    def validate(self, source: str) -> None:
        def fail(msg: str) -> None:
            raise SQLDiffusionError(f"{source}: {msg}")

        if len(self.encoder_block_out_channels) != len(self.num_encoder_blocks):
            fail("encoder_block_out_channels and num_encoder_blocks must have the same length")
        if len(self.decoder_block_out_channels) != len(self.num_decoder_blocks):
            fail("decoder_block_out_channels and num_decoder_blocks must have the same length")
        # diffusers builds each level's first convolution (and block) with that level's width in
        for key in ("encoder_block_out_channels", "decoder_block_out_channels"):
            if len(set(getattr(self, key))) > 1:
                fail(f"{key} must all be the same width (diffusers' EncoderTiny and DecoderTiny need it)")
        if len(self.num_encoder_blocks) != len(self.num_decoder_blocks):
            fail("the encoder halves the picture as often as the decoder doubles it here: give num_encoder_blocks "
                 "and num_decoder_blocks the same length")
