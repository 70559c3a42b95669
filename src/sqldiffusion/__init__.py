"""sqldiffusion: diffusion-model image generation whose whole neural network runs as SQL."""

from .api import SQLUNet, unet
from .errors import SQLDiffusionError

__version__ = "0.1.0"
__all__ = ["SQLDiffusionError", "SQLUNet", "unet", "__version__"]
