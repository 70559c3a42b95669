"""`UNet2DConditionModel` configuration (Stable Diffusion 1.x/2.x and its small descendants): each
field declared once with what it may hold, checked when a config.json is read, the network-wide
checks, and a one-line refusal naming each option those models do not use."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SQLDiffusionError
from ..fields import Field, check, declared, declared_checks, shown
from .unet_config import MAX_BLOCKS, MAX_CHANNELS, MAX_LAYERS, MAX_SIZE

CLASS_NAME = "UNet2DConditionModel"
DOWN_BLOCKS = ("CrossAttnDownBlock2D", "DownBlock2D")
UP_BLOCKS = ("CrossAttnUpBlock2D", "UpBlock2D")
MID_BLOCK = "UNetMidBlock2DCrossAttn"
MAX_TOKENS = 4096  # text tokens a pass reads (CLIP's 77 for every Stable Diffusion)
TRANSFORMER_NORM_EPS = 1e-6  # Transformer2DModel's group norm, whatever norm_eps says
LAYER_NORM_EPS = 1e-5  # BasicTransformerBlock's layer norms (the UNet passes no norm_eps to them)
FF_MULT = 4  # FeedForward's inner width, times the transformer's

_SIZE_PAIR = Field(int, 1, MAX_SIZE, items=(2, 2))  # sample_size given as [height, width]
# fields diffusers takes as one value for every block or a list of one per down block
_PER_BLOCK = {"layers_per_block": Field(int, 1, MAX_LAYERS),
              "attention_head_dim": Field(int, 1, MAX_CHANNELS),
              "transformer_layers_per_block": Field(int, 1, MAX_LAYERS)}


@dataclass(frozen=True)
class UNetConditionConfig:
    """The subset of `diffusers.UNet2DConditionModel`'s config that shapes the network (same names,
    same defaults). `attention_head_dim` is, as diffusers reads it, the number of heads of each
    block's transformers (a historic misnaming diffusers keeps), one for all or one per block."""

    sample_size: int | tuple[int, int] | None = declared(None, Field(int, 1, MAX_SIZE, nullable=True))  # or [h, w]
    in_channels: int = declared(4, Field(int, 1, 256))
    out_channels: int = declared(4, Field(int, 1, 256))
    center_input_sample: bool = declared(False, Field(bool))
    time_embedding_dim: int | None = declared(None, Field(int, 1, MAX_CHANNELS, nullable=True))  # None: 4 * c0
    freq_shift: int = declared(0, Field(float, -MAX_CHANNELS, MAX_CHANNELS))
    flip_sin_to_cos: bool = declared(True, Field(bool))
    down_block_types: tuple[str, ...] = declared(
        ("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        Field(str, choices=DOWN_BLOCKS, items=(1, MAX_BLOCKS)))
    mid_block_type: str | None = declared(MID_BLOCK, Field(str, nullable=True))  # or null: none
    up_block_types: tuple[str, ...] = declared(
        ("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        Field(str, choices=UP_BLOCKS, items=(1, MAX_BLOCKS)))
    block_out_channels: tuple[int, ...] = declared((320, 640, 1280, 1280),
                                                   Field(int, 1, MAX_CHANNELS, items=(1, MAX_BLOCKS)))
    layers_per_block: int | tuple[int, ...] = declared(2, _PER_BLOCK["layers_per_block"])
    mid_block_scale_factor: float = declared(1.0, Field(float, 0, 1e6, low_open=True))
    downsample_padding: int = declared(1, Field(int, 0, 1))
    norm_num_groups: int = declared(32, Field(int, 1, MAX_CHANNELS))
    norm_eps: float = declared(1e-5, Field(float, 0, 1, low_open=True))
    cross_attention_dim: int = declared(1280, Field(int, 1, MAX_CHANNELS))  # the text's width
    attention_head_dim: int | tuple[int, ...] = declared(8, _PER_BLOCK["attention_head_dim"])  # heads, per block
    transformer_layers_per_block: int | tuple[int, ...] = declared(1, _PER_BLOCK["transformer_layers_per_block"])
    use_linear_projection: bool = declared(False, Field(bool))  # proj_in/proj_out Linear, else 1x1 convolutions
    upcast_attention: bool = declared(False, Field(bool))  # for half precision: every pass here is float32
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    class_name = CLASS_NAME
    class_conditional = False  # takes no class labels (class_embed_type and num_class_embeds are refused)
    resnet_time_scale_shift = "default"  # what the shared resnets read (any other is refused)

    @property
    def time_embed_dim(self) -> int:
        return self.time_embedding_dim or 4 * self.block_out_channels[0]

    def per_block(self, key: str) -> tuple[int, ...]:
        """A per-block field as one value per down block (an int given is every block's)."""
        value = getattr(self, key)
        return value if isinstance(value, tuple) else (value,) * len(self.down_block_types)

    def heads(self, level: int) -> int:
        """The attention heads of the transformers of down block `level` (the up block of the same
        width has the same, the mid block the last's): diffusers' `num_attention_heads`, which
        defaults to `attention_head_dim`."""
        return self.per_block("attention_head_dim")[level]

    def layers(self, level: int) -> int:
        """The resnets of down block `level` (its up block has one more)."""
        return self.per_block("layers_per_block")[level]

    def transformer_layers(self, level: int) -> int:
        """The BasicTransformerBlocks of each transformer of down block `level` (and of its up block)."""
        return self.per_block("transformer_layers_per_block")[level]

    @classmethod
    def from_dict(cls, cfg: dict, source: str = "config.json") -> "UNetConditionConfig":
        """The config of a config.json's settings, every field checked as declared (one line if not)."""
        check_supported(cfg, source)
        checks = dict(FIELDS)
        if isinstance(cfg.get("sample_size"), (list, tuple)):
            checks["sample_size"] = _SIZE_PAIR  # [height, width]
        for key, one in _PER_BLOCK.items():
            if isinstance(cfg.get(key), (list, tuple)):
                checks[key] = Field(one.type, one.low, one.high, items=(1, MAX_BLOCKS))
        kwargs = {key: check(source, key, cfg[key], spec) for key, spec in checks.items() if key in cfg}
        config = cls(**kwargs, raw=dict(cfg))
        config.validate(source)
        return config

    def validate(self, source: str) -> None:
        def fail(msg: str) -> None:
            raise SQLDiffusionError(f"{source}: {msg}")

        n = len(self.block_out_channels)
        if len(self.down_block_types) != n or len(self.up_block_types) != n:
            fail("down_block_types, up_block_types and block_out_channels must have the same length")
        if self.mid_block_type not in (MID_BLOCK, None):
            fail(f"mid_block_type {shown(self.mid_block_type)} is not supported (supported: {MID_BLOCK} or null)")
        for key in _PER_BLOCK:
            if len(self.per_block(key)) != n:
                fail(f"{key} must be one number or a list of one per block ({n})")
        if self.block_out_channels[0] % 2:
            fail("block_out_channels[0] must be even for the sinusoidal time embedding")
        if self.block_out_channels[0] // 2 - self.freq_shift <= 0:
            fail(f"freq_shift {self.freq_shift} must be below half of block_out_channels[0]")
        for c in self.block_out_channels:
            if c % self.norm_num_groups:
                fail(f"{c} channels cannot be split into norm_num_groups={self.norm_num_groups} groups")
        for channels, heads in self.transformer_widths():
            if channels % heads:
                fail(f"{channels} channels cannot be split into attention_head_dim={heads} heads "
                     "(the number of heads, as diffusers reads it)")

    def transformer_widths(self) -> list[tuple[int, int]]:
        """(channels, heads) of every block that has transformers."""
        n = len(self.block_out_channels)
        down = [(self.block_out_channels[i], self.heads(i)) for i, kind in enumerate(self.down_block_types)
                if kind == "CrossAttnDownBlock2D"]
        up = [(self.block_out_channels[n - 1 - i], self.heads(n - 1 - i)) for i, kind in enumerate(self.up_block_types)
              if kind == "CrossAttnUpBlock2D"]
        mid = [(self.block_out_channels[-1], self.heads(n - 1))] if self.mid_block_type else []
        return down + mid + up


# Every field the network is built from, with what it may hold: as each is declared above.
FIELDS = declared_checks(UNetConditionConfig)

# Options Stable Diffusion 1.x/2.x and its small descendants do not use, with the values that mean
# "off" (as diffusers' defaults): any other value is refused in one line naming the option.
_UNSUPPORTED = {
    "time_embedding_type": ("positional",),
    "act_fn": ("silu", "swish"),
    "num_attention_heads": (None,),
    "only_cross_attention": (False,),
    "mid_block_only_cross_attention": (None, False),
    "dual_cross_attention": (False,),
    "class_embed_type": (None,),
    "num_class_embeds": (None,),
    "class_embeddings_concat": (False,),
    "projection_class_embeddings_input_dim": (None,),
    "addition_embed_type": (None,),
    "addition_time_embed_dim": (None,),
    "encoder_hid_dim": (None,),
    "encoder_hid_dim_type": (None,),
    "attention_type": ("default",),
    "cross_attention_norm": (None,),
    "reverse_transformer_layers_per_block": (None,),
    "resnet_time_scale_shift": ("default",),
    "resnet_skip_time_act": (False,),
    "resnet_out_scale_factor": (1.0, 1),
    "time_embedding_act_fn": (None,),
    "timestep_post_act": (None,),
    "time_cond_proj_dim": (None,),
    "conv_in_kernel": (3,),
    "conv_out_kernel": (3,),
}
# why, where the option's name alone does not say
_NOTES = {"num_attention_heads": "; diffusers refuses it too: its heads are given as attention_head_dim"}


def check_supported(cfg: dict, source: str) -> None:
    name = cfg.get("_class_name", CLASS_NAME)
    if name != CLASS_NAME:
        raise SQLDiffusionError(f"{source}: model class {shown(name)} is not a {CLASS_NAME}")
    for key, allowed in _UNSUPPORTED.items():
        if key in cfg and not any(cfg[key] == a and type(cfg[key]) is type(a) for a in allowed):
            raise SQLDiffusionError(f"{source}: {key}={shown(cfg[key])} is not supported "
                                    f"(supported: {', '.join(map(repr, allowed))}){_NOTES.get(key, '')}")
    if cfg.get("norm_num_groups", 32) is None:
        raise SQLDiffusionError(f"{source}: norm_num_groups=null is not supported; set it explicitly")
