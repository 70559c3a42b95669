"""`UNet2DModel` configuration: each field declared once with what it may hold, checked when a
config.json is read, and the network-wide checks of what the SQL UNet supports."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SQLDiffusionError
from ..fields import Field, check, declared, declared_checks, shown

DOWN_BLOCKS = ("DownBlock2D", "AttnDownBlock2D", "ResnetDownsampleBlock2D")
UP_BLOCKS = ("UpBlock2D", "AttnUpBlock2D", "ResnetUpsampleBlock2D")
MID_BLOCKS = ("UNetMidBlock2D",)

# Bounds well above every public model, and low enough that the graph of any config is built in
# moments: what a run of it costs is the preflight's to judge (preflight.py).
MAX_CHANNELS = 8192
MAX_BLOCKS = 8
MAX_LAYERS = 32
MAX_SIZE = 16384
MAX_CLASSES = 100_000
_CHANNELS = Field(int, 1, MAX_CHANNELS)
_SIZE_PAIR = Field(int, 1, MAX_SIZE, items=(2, 2))  # sample_size given as [height, width]


@dataclass(frozen=True)
class UNetConfig:
    """The subset of `diffusers.UNet2DModel`'s config that shapes the network (same names, same defaults)."""

    sample_size: int | tuple[int, int] | None = declared(None, Field(int, 1, MAX_SIZE, nullable=True))  # or [h, w]
    in_channels: int = declared(3, Field(int, 1, 256))
    out_channels: int = declared(3, Field(int, 1, 256))
    center_input_sample: bool = declared(False, Field(bool))
    time_embedding_dim: int | None = declared(None, Field(int, 1, MAX_CHANNELS, nullable=True))  # None: 4 * c0
    freq_shift: int = declared(0, Field(float, -MAX_CHANNELS, MAX_CHANNELS))  # diffusers' downscale_freq_shift
    flip_sin_to_cos: bool = declared(True, Field(bool))
    # each of the supported blocks (validate)
    down_block_types: tuple[str, ...] = declared(
        ("DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"), Field(str, items=(1, MAX_BLOCKS)))
    mid_block_type: str | None = declared("UNetMidBlock2D", Field(str, nullable=True))
    up_block_types: tuple[str, ...] = declared(("AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"),
                                               Field(str, items=(1, MAX_BLOCKS)))
    block_out_channels: tuple[int, ...] = declared((224, 448, 672, 896),
                                                   Field(int, 1, MAX_CHANNELS, items=(1, MAX_BLOCKS)))
    layers_per_block: int = declared(2, Field(int, 1, MAX_LAYERS))
    mid_block_scale_factor: float = declared(1.0, Field(float, 0, 1e6, low_open=True))
    downsample_padding: int = declared(1, Field(int, 0, 1))
    attention_head_dim: int | None = declared(8, Field(int, 1, MAX_CHANNELS, nullable=True))  # None: one head
    norm_num_groups: int = declared(32, _CHANNELS)
    # mid block attention only; None: norm_num_groups
    attn_norm_num_groups: int | None = declared(None, Field(int, 1, MAX_CHANNELS, nullable=True))
    norm_eps: float = declared(1e-5, Field(float, 0, 1, low_open=True))
    add_attention: bool = declared(True, Field(bool))  # mid block attention
    # class conditioning: an embedding table of this many classes
    num_class_embeds: int | None = declared(None, Field(int, 1, MAX_CLASSES, nullable=True))
    # "timestep": labels embedded as timesteps are; "identity": given embedded
    class_embed_type: str | None = declared(None, Field(str, choices=("timestep", "identity"), nullable=True))
    # "scale_shift": the time embedding scales and shifts norm2
    resnet_time_scale_shift: str = declared("default", Field(str, choices=("default", "scale_shift")))
    # the attention blocks' resamplers: a strided conv (a conv after nearest 2x), or a halving (doubling) resnet
    downsample_type: str = declared("conv", Field(str, choices=("conv", "resnet")))
    upsample_type: str = declared("conv", Field(str, choices=("conv", "resnet")))
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def time_embed_dim(self) -> int:
        return self.time_embedding_dim or 4 * self.block_out_channels[0]

    @property
    def class_conditional(self) -> bool:
        """Whether a pass takes a class label per image (diffusers' class_labels)."""
        return self.class_embed_type is not None or self.num_class_embeds is not None

    def mid_attention_groups(self) -> int | None:
        """The mid block attention's group norm (None: none), as diffusers' UNetMidBlock2D has it."""
        if self.attn_norm_num_groups is not None:
            return self.attn_norm_num_groups
        return self.norm_num_groups if self.resnet_time_scale_shift == "default" else None

    def heads(self, channels: int) -> int:
        head_dim = self.attention_head_dim or channels
        return channels // head_dim

    @classmethod
    def from_dict(cls, cfg: dict, source: str = "config.json") -> "UNetConfig":
        """The config of a config.json's settings, every field checked as declared (one line if not)."""
        check_supported(cfg, source)
        checks = dict(FIELDS)
        if isinstance(cfg.get("sample_size"), (list, tuple)):
            checks["sample_size"] = _SIZE_PAIR  # [height, width]
        kwargs = {key: check(source, key, cfg[key], spec) for key, spec in checks.items() if key in cfg}
        config = cls(**kwargs, raw=dict(cfg))
        config.validate(source)
        return config

    def validate(self, source: str) -> None:
        def fail(msg: str) -> None:
            raise SQLDiffusionError(f"{source}: {msg}")

        n = len(self.block_out_channels)
        if n == 0:
            fail("block_out_channels is empty")
        if len(self.down_block_types) != n or len(self.up_block_types) != n:
            fail("down_block_types, up_block_types and block_out_channels must have the same length")
        for kind in self.down_block_types:
            if kind not in DOWN_BLOCKS:
                fail(f"down block type {shown(kind)} is not supported (supported: {', '.join(DOWN_BLOCKS)})")
        for kind in self.up_block_types:
            if kind not in UP_BLOCKS:
                fail(f"up block type {shown(kind)} is not supported (supported: {', '.join(UP_BLOCKS)})")
        if self.mid_block_type is not None and self.mid_block_type not in MID_BLOCKS:
            fail(f"mid_block_type {shown(self.mid_block_type)} is not supported (supported: UNetMidBlock2D or null)")
        if self.block_out_channels[0] % 2:
            fail("block_out_channels[0] must be even for the sinusoidal time embedding")
        if self.block_out_channels[0] // 2 - self.freq_shift <= 0:
            fail(f"freq_shift {self.freq_shift} must be below half of block_out_channels[0]")
        for c in self.block_out_channels:
            if c % self.norm_num_groups:
                fail(f"{c} channels cannot be split into norm_num_groups={self.norm_num_groups} groups")
        attn_channels = [c for c, k in zip(self.block_out_channels, self.down_block_types) if k.startswith("Attn")]
        attn_channels += [c for c, k in zip(reversed(self.block_out_channels), self.up_block_types)
                          if k.startswith("Attn")]
        if self.mid_block_type and self.add_attention:
            attn_channels.append(self.block_out_channels[-1])
            groups = self.mid_attention_groups()
            if groups and self.block_out_channels[-1] % groups:
                fail(f"{self.block_out_channels[-1]} channels cannot be split into attn_norm_num_groups={groups}")
        for c in attn_channels:
            if self.attention_head_dim and c % self.attention_head_dim:
                fail(f"{c} channels cannot be split into heads of attention_head_dim={self.attention_head_dim}")


# Every field the network is built from, with what it may hold: as each is declared above.
FIELDS = declared_checks(UNetConfig)

# Options we do not implement, with the value that means "off". Anything else gets a one-line error.
_UNSUPPORTED = {
    "time_embedding_type": ("positional",),
    "act_fn": ("silu", "swish"),
    "cross_attention_dim": (None,),
    "encoder_hid_dim": (None,),
    "addition_embed_type": (None,),
}


def check_supported(cfg: dict, source: str) -> None:
    name = cfg.get("_class_name", "UNet2DModel")
    if name != "UNet2DModel":
        raise SQLDiffusionError(f"{source}: model class {shown(name)} is not supported; sqldiffusion runs "
                                "UNet2DModel and UNet2DConditionModel backbones")
    for key, allowed in _UNSUPPORTED.items():
        if key in cfg and not any(cfg[key] == a and type(cfg[key]) is type(a) for a in allowed):
            raise SQLDiffusionError(
                f"{source}: {key}={shown(cfg[key])} is not supported (supported: {', '.join(map(repr, allowed))})"
            )
    if cfg.get("norm_num_groups", 32) is None:
        raise SQLDiffusionError(f"{source}: norm_num_groups=null is not supported; set it explicitly")
