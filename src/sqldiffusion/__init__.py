"""sqldiffusion: diffusion-model image generation whose whole neural network runs as SQL."""

from .editing import SQLImg2ImgPipeline, SQLInpaintPipeline
from .errors import SQLDiffusionError
from .pipeline import SQLDiffusionPipeline
from .schedulers import (
                         CMStochasticIterativeScheduler,
                         DDIMInverseScheduler,
                         DDIMScheduler,
                         DDPMScheduler,
                         DPMSolverMultistepScheduler,
                         EulerAncestralDiscreteScheduler,
                         EulerDiscreteScheduler,
                         HeunDiscreteScheduler,
                         PNDMScheduler,
                         RePaintScheduler,
                         UniPCMultistepScheduler,
)
from .sql_unet import SQLUNet, unet
from .text_pipeline import SQLStableDiffusionPipeline

__version__ = "0.1.0"
__all__ = ["CMStochasticIterativeScheduler", "DDIMInverseScheduler", "DDIMScheduler", "DDPMScheduler",
           "DPMSolverMultistepScheduler", "EulerAncestralDiscreteScheduler", "EulerDiscreteScheduler",
           "HeunDiscreteScheduler", "PNDMScheduler", "RePaintScheduler", "SQLDiffusionError", "SQLDiffusionPipeline",
           "SQLImg2ImgPipeline", "SQLInpaintPipeline", "SQLStableDiffusionPipeline", "SQLUNet",
           "UniPCMultistepScheduler", "unet", "__version__"]
