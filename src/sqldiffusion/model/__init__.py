"""Model folders, configuration files, weight files and where to find them."""

from ..graph.unet_config import UNetConfig
from .source import Model, load_autoencoder, load_model, load_text_encoder

__all__ = ["Model", "UNetConfig", "load_autoencoder", "load_model", "load_text_encoder"]
