"""The networks sqldiffusion builds, keyed by diffusers' `_class_name`.

A model folder is read as diffusers' `DiffusionPipeline.from_pretrained` reads it: model_index.json
names each component with its class, and the class's entry here says how the component's config is
read and checked, how its graph is built, and which relations the graph reads and writes. Everything
that needs a network's graph (the program, the import, the preflight) asks its entry, which builds
each graph once per config and image size.

Adding a network is one graph module (its config dataclass and its builder, as unet_config.py and
unet.py are for the UNet) and one entry in NETWORKS: docs/models.md says how.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from . import autoencoder, clip
from .autoencoder_config import AutoencoderKLConfig, AutoencoderTinyConfig, VQModelConfig
from .clip_config import CLIPTextConfig
from .ops import Graph
from .unet import build_unet, smallest_size
from .unet_condition import build_unet_condition
from .unet_condition_config import UNetConditionConfig
from .unet_config import UNetConfig


@dataclass(frozen=True)
class Network:
    """One diffusers model class as sqldiffusion builds it."""

    class_name: str  # diffusers' class, as config.json's `_class_name` and model_index.json name it
    components: tuple[str, ...]  # the components of a pipeline folder (model_index.json's keys) it fills
    config: type  # its config dataclass: config.from_dict(settings, source) checks every field, one line if not
    build: Callable[..., Graph]  # build(config, height, width): the graph of one pass at an image size
    smallest_size: Callable[..., int]  # smallest_size(config): the smallest image side it takes
    reads: tuple[str, ...]  # the relations the engine fills for it, by their graph op (program.INPUTS)
    writes: str  # what its output relation holds
    # the passes besides `build` of a network that has several (an autoencoder's encoder), by name:
    # each builder(config, height, width) as `build`, at the same image size
    passes: dict[str, Callable[..., Graph]] = field(default_factory=dict, compare=False)
    role: str = "backbone"  # "backbone": the pipelines run it; "autoencoder": decodes (encodes) its latents;
    # "text_encoder": turns a prompt's tokens into the hidden states a conditional backbone reads
    # rename(tensors): a weight file's tensors (name -> array or shape) under the graph's names, where
    # its library has saved them under others (None: diffusers' names, weights.normalise_names)
    rename: Callable[[dict], dict] | None = field(default=None, compare=False)

    def graph(self, config, height: int, width: int, pass_name: str = "", tokens: int | None = None) -> Graph:
        """The graph of one pass (`build`'s, or the pass named) at this image size, built once per
        config and size and then shared: a graph is never changed after it is built (a dialect's
        lowering makes a new one). `tokens`: the text's length, for a network that reads text
        (None: its builder's default)."""
        return _built(self.passes[pass_name] if pass_name else self.build, config, height, width, tokens)

    def pass_graphs(self, config) -> list[Graph]:
        """Every pass's graph at the smallest image size: together, every layer a model of it reads."""
        size = self.smallest_size(config)
        return [self.graph(config, size, size, name) for name in ("", *self.passes)]

    def layers(self, config) -> Graph:
        """The graph at the smallest image size the model accepts: enough to list its layers and tensors."""
        size = self.smallest_size(config)
        return self.graph(config, size, size)


NETWORKS: dict[str, Network] = {network.class_name: network for network in (
    Network("UNet2DModel", ("unet",), UNetConfig, build_unet, smallest_size,
            reads=("sample", "timesteps", "class_labels", "class_embeddings"), writes="the model output"),
    Network("UNet2DConditionModel", ("unet",), UNetConditionConfig, build_unet_condition, smallest_size,
            reads=("sample", "timesteps", "encoder_hidden_states"), writes="the model output"),
    Network("AutoencoderKL", ("vae",), AutoencoderKLConfig, autoencoder.build_decoder, autoencoder.smallest_size,
            reads=("latents",), writes="the decoded picture", role="autoencoder",
            passes={"encode": autoencoder.build_encoder, "sample": autoencoder.build_sampling_encoder}),
    Network("VQModel", ("vqvae", "vae"), VQModelConfig, autoencoder.build_decoder, autoencoder.smallest_size,
            reads=("latents",), writes="the decoded picture", role="autoencoder",
            passes={"encode": autoencoder.build_encoder, "decode_unquantized": autoencoder.build_unquantized_decoder}),
    Network("AutoencoderTiny", ("vae",), AutoencoderTinyConfig, autoencoder.build_decoder, autoencoder.smallest_size,
            reads=("latents",), writes="the decoded picture", role="autoencoder",
            passes={"encode": autoencoder.build_encoder}),
    # a token sequence is an image (hidden_size, 1, L): build(config, 1, L) (graph/clip.py)
    Network("CLIPTextModel", ("text_encoder",), CLIPTextConfig, clip.build_text_encoder, clip.smallest_size,
            reads=("tokens",), writes="the prompt's hidden states", role="text_encoder", rename=clip.rename_tensors),
)}
BACKBONE = "UNet2DModel"  # what a config.json without `_class_name` holds


def network_of(config) -> Network:
    """The entry of a config read by one of the registered config classes."""
    return next(network for network in NETWORKS.values() if isinstance(config, network.config))


@lru_cache(maxsize=32)
def _built(build: Callable[..., Graph], config, height: int, width: int, tokens: int | None = None) -> Graph:
    return build(config, height, width) if tokens is None else build(config, height, width, tokens)
