"""Beyond sampling from noise, in SQL: image-to-image (SDEdit, Meng et al., ICLR 2022),
inpainting (RePaint, Lugmayr et al., CVPR 2022), DDIM inversion and interpolation (Song et al.,
ICLR 2021).

>>> pipe = SQLImg2ImgPipeline.from_pretrained("demo")
>>> images = pipe(image="butterfly.png", strength=0.6, seed=0).images
>>> filled = SQLInpaintPipeline.from_pretrained("demo")(image="butterfly.png", mask_image="wing.png").images
>>> x_T = invert(pipe, "butterfly.png", num_inference_steps=50)
>>> frames = interpolate(pipe, seeds=(3, 8), frames=8).images

Pictures and masks are read, resized and scaled in Python and uploaded; the noising
(`sqrt(abar) x0 + sqrt(1 - abar) eps`, eps from the SQL noise or a given tensor), every UNet pass,
every sampler step and every blend with the known pixels run in the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .errors import SQLDiffusionError
from .pictures import load_mask, load_picture
from .pipeline import (
    OUTPUT_TYPES,
    ImagePipelineOutput,
    SQLDiffusionPipeline,
    Step,
    advancing,
    default_labels,
    denoise,
    image_size,
    images_of,
    loop,
    relations,
    resolve_seed,
    start,
)
from .preflight import check_fits
from .program import SAMPLE
from .schedulers import DDIMInverseScheduler, DDIMScheduler, RePaintScheduler, Scheduler
from .schedulers.editing import IMAGE, MASK, strength_plan
from .schedulers.sql import slerp
from .sql_unet import SQLUNet

ENDS = ("sqld_from", "sqld_to")  # interpolation: the two starting noises


class SQLImg2ImgPipeline(SQLDiffusionPipeline):
    def __call__(self, image, strength: float = 0.8, num_inference_steps: int | None = 50,
                 timesteps: Sequence[int] | None = None, batch_size: int | None = None, seed: int | None = None,
                 generator=None, sampler: str | None = "ddpm", eta: float = 0.0, add_noise: bool = True,
                 noise: np.ndarray | None = None, output_type: str = "pil",
                 callback: Callable[[Step, Callable[[], np.ndarray]], None] | None = None,
                 on_event=None, return_dict: bool = True, class_labels=None):
        """Redraw `image` (a file name, a PIL image, or a float32 (C, H, W) / (B, C, H, W) array in
        [-1, 1]): noised to the first of the last int(N * strength) timesteps of the N-step plan (or
        of `timesteps`), then denoised from there. `batch_size` pictures of one image (each with its
        own noise); `noise` (B, C, H, W) noises it with a given eps instead of SQL's;
        `class_labels` as `SQLDiffusionPipeline`'s. The sampler is `sampler` (DDPM by default, as
        the blog's; None: `pipe.scheduler`), with `eta` and `add_noise` as `SQLDiffusionPipeline`'s.

        Every argument is checked before the first statement runs.
        """
        if output_type not in OUTPUT_TYPES:
            raise SQLDiffusionError(f"output_type {output_type!r}: use 'pil', 'np', 'array' or 'latent'")
        self.unet.model.pixel_model("SQLImg2ImgPipeline")
        scheduler = strength_scheduler(self.run_scheduler(sampler, eta, add_noise), strength, num_inference_steps,
                                       timesteps)
        pictures = self.prepare(image)
        batch = batch_size or (len(noise) if noise is not None else len(pictures))
        if len(pictures) not in (1, batch):
            raise SQLDiffusionError(f"{len(pictures)} pictures for a batch of {batch}; give one, or one per image")
        check_fits(self.unet.config, *pictures.shape[2:], batch, self.unet.max_memory)  # before the copies
        pictures = np.repeat(pictures, batch // len(pictures), axis=0)
        seed = resolve_seed(seed, generator)
        if class_labels is None:
            class_labels = default_labels(self.unet.config, batch, seed)
        with self.progress_bar(len(scheduler.timesteps)) as bar:
            samples = denoise(self.unet, scheduler, batch=batch, seed=seed, init_noise=noise,
                              on_step=advancing(bar, callback), image=pictures, on_event=on_event,
                              class_labels=class_labels)
        images = images_of(samples, output_type)
        return ImagePipelineOutput(images) if return_dict else (images,)

    def prepare(self, image) -> np.ndarray:
        """The picture(s) as float32 (B, C, H, W) in [-1, 1] at the model's size; notes on what was
        changed to get there in `notes`."""
        array, self.notes, self.picture_size = prepare_pictures(self.unet.config, image)
        return array


def strength_scheduler(scheduler: Scheduler, strength: float, num_inference_steps: int | None = 50,
                       timesteps: Sequence[int] | None = None) -> Scheduler:
    """The scheduler of an image-to-image run: of the plan of `num_inference_steps` (or
    `timesteps`) it visits the last int(N * strength) (`strength_plan`), as diffusers' img2img
    pipelines do; `scheduler` keeps the whole plan."""
    scheduler.set_timesteps(None if timesteps is not None else num_inference_steps, timesteps)
    run = scheduler.with_options()
    run.set_timesteps(timesteps=strength_plan(scheduler.planned, strength))
    return run


def prepare_pictures(config, image) -> tuple[np.ndarray, list[str], tuple[int, int] | None]:
    """A file name, PIL image or array in [-1, 1] as float32 (B, C, H, W) at the model's size, the
    notes on converting it, and the picture's own size (None for an array)."""
    if isinstance(image, np.ndarray):
        array = image[None] if image.ndim == 3 else image
        if array.ndim != 4:
            raise SQLDiffusionError(f"image has shape {list(image.shape)}; expected (C, H, W) or (B, C, H, W)")
        return array.astype(np.float32), [], None
    return load_picture(image, config.in_channels, image_size(config), with_size=True)


class SQLInpaintPipeline(SQLImg2ImgPipeline):
    def __call__(self, image, mask_image, num_inference_steps: int = 250, jump_length: int = 10,
                 jump_n_sample: int = 10, eta: float = 0.0, batch_size: int | None = None, seed: int | None = None,
                 generator=None, noise: np.ndarray | None = None, output_type: str = "pil",
                 callback: Callable[[Step, Callable[[], np.ndarray]], None] | None = None,
                 return_dict: bool = True):
        """Fill in the white part of `mask_image` (a file name, a PIL image, or an array, 1 or
        True = fill) in `image`, by RePaint with diffusers' `RePaintPipeline` defaults (250 steps,
        jumps of 10, 10 times: thousands of UNet passes; fewer steps and jumps are much quicker).
        The kept pixels of the result are the picture's. `noise` (B, C, H, W) is x_T instead of
        SQL's noise. Every argument is checked before the first statement runs."""
        if output_type not in OUTPUT_TYPES:
            raise SQLDiffusionError(f"output_type {output_type!r}: use 'pil', 'np', 'array' or 'latent'")
        self.unet.model.pixel_model("SQLInpaintPipeline")
        if num_inference_steps < 1:
            raise SQLDiffusionError(f"steps must be at least 1 (got {num_inference_steps})")
        scheduler = RePaintScheduler.from_config(self.scheduler.config, eta=eta)
        scheduler.set_timesteps(num_inference_steps, jump_length, jump_n_sample)
        pictures = self.prepare(image)
        fill = self.prepare_mask(mask_image, pictures)
        batch = batch_size or (len(noise) if noise is not None else len(pictures))
        if len(pictures) not in (1, batch):
            raise SQLDiffusionError(f"{len(pictures)} pictures for a batch of {batch}; give one, or one per image")
        check_fits(self.unet.config, *pictures.shape[2:], batch, self.unet.max_memory)  # before the copies
        pictures = np.repeat(pictures, batch // len(pictures), axis=0)
        keep = np.repeat(1 - fill, batch // len(fill), axis=0)
        with self.progress_bar(len(scheduler.planned)) as bar:
            samples = repaint_loop(self.unet, scheduler, pictures, keep, resolve_seed(seed, generator), noise,
                              advancing(bar, callback))
        images = images_of(samples, output_type)
        return ImagePipelineOutput(images) if return_dict else (images,)

    def prepare_mask(self, mask_image, pictures: np.ndarray) -> np.ndarray:
        """1 where to fill in, 0 where to keep, as (B, C, H, W) like the pictures."""
        if isinstance(mask_image, np.ndarray):
            fill = np.asarray(mask_image, dtype=np.float32)
            fill = fill.reshape((1, 1) + fill.shape) if fill.ndim == 2 else fill
            fill = (np.broadcast_to(fill, (fill.shape[0], *pictures.shape[1:])) >= 0.5).astype(np.float32)
        else:
            fill = load_mask(mask_image, pictures.shape[1], image_size(self.unet.config),
                             getattr(self, "picture_size", None))
        if not fill.any():
            raise SQLDiffusionError("the mask has nothing to fill in: paint white where the picture is to be redrawn")
        if fill.all():
            raise SQLDiffusionError("the mask covers the whole picture: nothing is kept; use generate")
        return fill


def invert(pipe: SQLDiffusionPipeline, image, num_inference_steps: int = 50,
           callback: Callable[[Step, Callable[[], np.ndarray]], None] | None = None) -> np.ndarray:
    """DDIM inversion: the starting noise x_T (B, C, H, W) from which DDIM with eta 0 and the same
    number of steps redraws about `image` (a file name, a PIL image or an array in [-1, 1])."""
    pipe.unet.model.pixel_model("invert")
    scheduler = DDIMInverseScheduler.from_config(pipe.scheduler.config)
    scheduler.set_timesteps(num_inference_steps)
    pictures = prepare_pictures(pipe.unet.config, image)[0]
    with pipe.progress_bar(len(scheduler.planned)) as bar:
        return inversion_loop(pipe.unet, scheduler, pictures, advancing(bar, callback))


def interpolate(pipe: SQLDiffusionPipeline, frames: int = 8, seeds: tuple[int, int] = (0, 1), images=None,
                num_inference_steps: int = 50, output_type: str = "pil",
                callback: Callable[[Step, Callable[[], np.ndarray]], None] | None = None) -> ImagePipelineOutput:
    """`frames` pictures morphing from one to another: the starting noises of two seeds (or of two
    pictures, by DDIM inversion) interpolated on the sphere, each denoised by DDIM with eta 0."""
    if output_type not in OUTPUT_TYPES:
        raise SQLDiffusionError(f"output_type {output_type!r}: use 'pil', 'np', 'array' or 'latent'")
    pipe.unet.model.pixel_model("interpolate")
    if len(seeds) != 2 or (images is not None and len(images) != 2):
        raise SQLDiffusionError("interpolation runs between two seeds or two pictures")
    scheduler = DDIMScheduler.from_config(pipe.scheduler.config)
    scheduler.set_timesteps(num_inference_steps)
    noises = None
    if images is not None:
        noises = tuple(invert(pipe, image, num_inference_steps) for image in images)
    with pipe.progress_bar(len(scheduler.planned)) as bar:
        samples = interpolation_loop(pipe.unet, scheduler, frames, tuple(seeds), noises, advancing(bar, callback))
    return ImagePipelineOutput(images_of(samples, output_type))


# ---- the runs, in the engine -----------------------------------------------------------------


def repaint_loop(net: SQLUNet, scheduler: RePaintScheduler, image: np.ndarray, mask: np.ndarray, seed: int = 0,
            init_noise: np.ndarray | None = None,
            on_step: Callable[[Step, Callable[[], np.ndarray]], None] | None = None) -> np.ndarray:
    """RePaint (`schedulers.editing.RePaintScheduler`, its plan set) in `net`'s engine, from noise
    (SQL's or `init_noise`), keeping the pixels of `image` where `mask` is 1. Returns the final
    sample (B, C, H, W); its known pixels are the picture's."""
    engine, timesteps = net.engine, scheduler.planned
    image, _ = net.check_inputs(image, timesteps[0])
    if mask.shape != image.shape:
        raise SQLDiffusionError(f"the mask has shape {list(mask.shape)} but the pictures {list(image.shape)}")
    if init_noise is not None:
        init_noise, _ = net.check_inputs(init_noise, timesteps[0])
        if init_noise.shape != image.shape:
            raise SQLDiffusionError(f"the noise has shape {list(init_noise.shape)} "
                                    f"but the pictures {list(image.shape)}")
    shape = image.shape
    program = net.program_for(shape)

    def begin() -> None:
        start(engine, shape, seed, init_noise)
        engine.put_image(IMAGE, image)
        engine.put_image(MASK, mask.astype(np.float32))

    try:
        loop(engine, program, scheduler, shape, seed, on_step=on_step, begin=begin)
        return engine.fetch_image(SAMPLE, shape)
    finally:
        engine.drop(*relations(program, scheduler))


def inversion_loop(net: SQLUNet, scheduler: DDIMInverseScheduler, image: np.ndarray,
           on_step: Callable[[Step, Callable[[], np.ndarray]], None] | None = None) -> np.ndarray:
    """DDIM inversion (`schedulers.editing.DDIMInverseScheduler`, its plan set) in `net`'s engine:
    from clean pictures (B, C, H, W) up its ascending plan; returns the noise x_T that DDIM (eta 0)
    turns back into about the pictures."""
    engine = net.engine
    image, _ = net.check_inputs(image, scheduler.planned[0])
    shape = image.shape
    program = net.program_for(shape)
    try:
        loop(engine, program, scheduler, shape, 0, on_step=on_step, begin=lambda: engine.put_image(SAMPLE, image))
        return engine.fetch_image(SAMPLE, shape)
    finally:
        engine.drop(*relations(program, scheduler))


def interpolation_loop(net: SQLUNet, scheduler: DDIMScheduler, frames: int, seeds: tuple[int, int] = (0, 1),
                noises: tuple[np.ndarray, np.ndarray] | None = None,
                on_step: Callable[[Step, Callable[[], np.ndarray]], None] | None = None) -> np.ndarray:
    """`frames` pictures between two: their starting noises (SQL's of two seeds, or two given
    (1, C, H, W) tensors such as inverted pictures) interpolated spherically in SQL, each then
    denoised by `scheduler` (DDIM with eta 0, its plan set: deterministic, so the frames change
    smoothly). (frames, C, H, W)."""
    engine, config, timesteps = net.engine, net.config, scheduler.timesteps
    if frames < 1:
        raise SQLDiffusionError(f"frames must be at least 1 (got {frames})")
    if noises is not None:
        noises = tuple(net.check_inputs(n, timesteps[0])[0] for n in noises)
        if any(n.shape[0] != 1 for n in noises) or noises[0].shape != noises[1].shape:
            raise SQLDiffusionError("give two starting noises of one image each, of the same shape")
        size = noises[0].shape[2:]
    else:
        size = image_size(config)
    one = (1, config.in_channels, *size)
    shape = (frames, *one[1:])
    if config.out_channels != config.in_channels:
        raise SQLDiffusionError("the model's out_channels differ from its in_channels: it cannot predict noise "
                                "for its own samples")
    program = net.program_for(shape)

    def begin() -> None:
        for name, seed, given in zip(ENDS, seeds, noises or (None, None)):
            if given is not None:
                engine.put_image(name, given)
            else:
                engine.create(name, engine.dialect.gaussian_noise(one, seed, stream=0))
        engine.create(SAMPLE, slerp(engine.dialect, *ENDS, frames, one[1]))
        engine.drop(*ENDS)

    try:
        loop(engine, program, scheduler, shape, seeds[0], on_step=on_step, begin=begin)
        return engine.fetch_image(SAMPLE, shape)
    finally:
        engine.drop(*relations(program, scheduler), *ENDS)
