"""`CLIPTextModel` configuration (a pipeline's `text_encoder/config.json`, as transformers writes
it): each field declared once with what it may hold, checked when the file is read, and what the SQL
text encoder does not run refused in one line naming the option."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SQLDiffusionError
from ..fields import Field, check, declared, declared_checks, shown
from .unet_config import MAX_CHANNELS

CLASS_NAME = "CLIPTextModel"
MODEL_TYPE = "clip_text_model"
ACTIVATIONS = ("quick_gelu", "gelu")  # SD 1.x's and SD 2.x's; transformers' others change the result
# Bounds well above every public text encoder (CLIP ViT-L: 49,408 tokens, 12 layers of 768; OpenCLIP
# ViT-H: 23 layers of 1,024), low enough that any config's graph is built in moments.
MAX_VOCABULARY = 1 << 20
MAX_LAYERS = 64
MAX_POSITIONS = 4096
_TOKEN_ID = Field(int, 0, MAX_VOCABULARY, nullable=True)
_RATE = Field(float, 0, 1)


@dataclass(frozen=True)
class CLIPTextConfig:
    """The fields of transformers' `CLIPTextConfig` (same names, same defaults); those marked
    "read" do not change the hidden states a pipeline reads (the pooled output's token ids, the
    projection of CLIPTextModelWithProjection, training's dropout and initialisation)."""

    vocab_size: int = declared(49408, Field(int, 1, MAX_VOCABULARY))
    hidden_size: int = declared(512, Field(int, 1, MAX_CHANNELS))
    intermediate_size: int = declared(2048, Field(int, 1, 4 * MAX_CHANNELS))
    num_hidden_layers: int = declared(12, Field(int, 1, MAX_LAYERS))
    num_attention_heads: int = declared(8, Field(int, 1, MAX_CHANNELS))
    max_position_embeddings: int = declared(77, Field(int, 1, MAX_POSITIONS))
    hidden_act: str = declared("quick_gelu", Field(str, choices=ACTIVATIONS))
    layer_norm_eps: float = declared(1e-5, Field(float, 0, 1, low_open=True))
    # read, not used by the hidden states
    projection_dim: int = declared(512, Field(int, 1, MAX_CHANNELS))
    attention_dropout: float = declared(0.0, _RATE)
    dropout: float = declared(0.0, _RATE)
    initializer_range: float = declared(0.02, Field(float, 0, 1e6))
    initializer_factor: float = declared(1.0, Field(float, 0, 1e6))
    pad_token_id: int | None = declared(1, _TOKEN_ID)
    bos_token_id: int | None = declared(49406, _TOKEN_ID)
    eos_token_id: int | None = declared(49407, _TOKEN_ID)
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    class_name = CLASS_NAME

    @classmethod
    def from_dict(cls, cfg: dict, source: str = "config.json") -> "CLIPTextConfig":
        """The config of a config.json's settings, every field checked as declared (one line if not)."""
        architectures = cfg.get("architectures", [CLASS_NAME])
        if architectures != [CLASS_NAME]:
            raise SQLDiffusionError(f"{source}: architectures {shown(architectures)} is not supported "
                                    f"(supported: [{CLASS_NAME!r}]: the projection of another class is not run)")
        if cfg.get("model_type", MODEL_TYPE) != MODEL_TYPE:
            raise SQLDiffusionError(f"{source}: model_type {shown(cfg['model_type'])} is not a CLIP text "
                                    f"model's ({MODEL_TYPE!r})")
        if "hidden_act" in cfg and cfg["hidden_act"] not in ACTIVATIONS:
            raise SQLDiffusionError(f"{source}: hidden_act={shown(cfg['hidden_act'])} is not supported "
                                    f"(supported: {', '.join(ACTIVATIONS)})")
        kwargs = {key: check(source, key, cfg[key], spec) for key, spec in declared_checks(cls).items() if key in cfg}
        config = cls(**kwargs, raw=dict(cfg))
        config.validate(source)
        return config

    def validate(self, source: str) -> None:
        if self.hidden_size % self.num_attention_heads:
            raise SQLDiffusionError(f"{source}: num_attention_heads {self.num_attention_heads} does not divide "
                                    f"hidden_size {self.hidden_size}")

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads
