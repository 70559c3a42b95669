"""Model configuration, weight files and where to find them."""

from .config import UNetConfig
from .source import Model, load_model

__all__ = ["Model", "UNetConfig", "load_model"]
