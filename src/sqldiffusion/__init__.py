"""sqldiffusion: diffusion-model image generation whose whole neural network runs as SQL."""

from .editing import SQLImg2ImgPipeline, SQLInpaintPipeline
from .errors import SQLDiffusionError
from .pipeline import SQLDiffusionPipeline
from .sql_unet import SQLUNet, unet

__version__ = "0.1.0"
__all__ = ["SQLDiffusionError", "SQLDiffusionPipeline", "SQLImg2ImgPipeline", "SQLInpaintPipeline", "SQLUNet", "unet",
           "__version__"]
