"""Beyond sampling from noise, in SQL: image-to-image (SDEdit, Meng et al., ICLR 2022).

>>> pipe = SQLImg2ImgPipeline.from_pretrained("demo")
>>> images = pipe(image="butterfly.png", strength=0.6, seed=0).images

The picture is read, resized and scaled to [-1, 1] in Python and uploaded; the noising
(`sqrt(abar) x0 + sqrt(1 - abar) eps`, eps from the SQL noise or a given tensor), every UNet pass
and every sampler step run in the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .errors import SQLDiffusionError
from .pictures import load_picture
from .pipeline import OUTPUT_TYPES, ImagePipelineOutput, SQLDiffusionPipeline, Step, denoise, image_size, \
    images_of, resolve_seed
from .scheduler import make_rule, plan, strength_plan


class SQLImg2ImgPipeline(SQLDiffusionPipeline):
    def __call__(self, image, strength: float = 0.8, num_inference_steps: int | None = 50,
                 timesteps: Sequence[int] | None = None, batch_size: int | None = None, seed: int | None = None,
                 generator=None, sampler: str = "ddpm", eta: float = 0.0, add_noise: bool = True,
                 noise: np.ndarray | None = None, output_type: str = "pil",
                 callback: Callable[[Step, Callable[[], np.ndarray]], None] | None = None,
                 return_dict: bool = True):
        """Redraw `image` (a file name, a PIL image, or a float32 (C, H, W) / (B, C, H, W) array in
        [-1, 1]): noised to the first of the last int(N * strength) timesteps of the N-step plan (or
        of `timesteps`), then denoised from there. `batch_size` pictures of one image (each with its
        own noise); `noise` (B, C, H, W) noises it with a given eps instead of SQL's.

        Every argument is checked before the first statement runs.
        """
        if output_type not in OUTPUT_TYPES:
            raise SQLDiffusionError(f"output_type {output_type!r}: use 'pil', 'np' or 'latent'")
        rule = make_rule(sampler, eta, add_noise)
        visited = strength_plan(plan(self.scheduler, steps=None if timesteps is not None else num_inference_steps,
                                     timesteps=timesteps), strength)
        pictures = self.prepare(image)
        batch = batch_size or (len(noise) if noise is not None else len(pictures))
        if len(pictures) not in (1, batch):
            raise SQLDiffusionError(f"{len(pictures)} pictures for a batch of {batch}; give one, or one per image")
        pictures = np.repeat(pictures, batch // len(pictures), axis=0)
        samples = denoise(self.unet, self.scheduler, visited, rule, batch=batch,
                          seed=resolve_seed(seed, generator), init_noise=noise, on_step=callback, image=pictures)
        images = images_of(samples, output_type)
        return ImagePipelineOutput(images) if return_dict else (images,)

    def prepare(self, image) -> np.ndarray:
        """The picture(s) as float32 (B, C, H, W) in [-1, 1] at the model's size."""
        if isinstance(image, np.ndarray):
            array = image[None] if image.ndim == 3 else image
            if array.ndim != 4:
                raise SQLDiffusionError(f"image has shape {list(image.shape)}; expected (C, H, W) or (B, C, H, W)")
            return array.astype(np.float32)
        config = self.unet.config
        array, self.notes = load_picture(image, config.in_channels, image_size(config))
        return array
