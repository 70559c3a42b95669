"""sqldiffusion: diffusion-model image generation whose whole neural network runs as SQL."""

from .api import SQLUNet, unet
from .errors import SQLDiffusionError
from .pipeline import SQLDiffusionPipeline

__version__ = "0.1.0"
__all__ = ["SQLDiffusionError", "SQLDiffusionPipeline", "SQLUNet", "unet", "__version__"]
