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
from .latent_editing import check_blendable, encoded_sample, latent_img2img, latent_inpaint
from .pictures import load_mask, load_picture
from .pipeline import (
    OUTPUT_TYPES,
    ImagePipelineOutput,
    SQLDiffusionPipeline,
    Step,
    advancing,
    decode,
    decoded_relations,
    default_labels,
    denoise,
    image_size,
    images_of,
    loop,
    relations,
    resolve_seed,
    sample_size,
    start,
)
from .preflight import check_fits
from .program import SAMPLE
from .schedulers import DDIMInverseScheduler, DDIMScheduler, RePaintScheduler, Scheduler
from .schedulers.editing import IMAGE, MASK, strength_plan
from .schedulers.sql import slerp
from .sql_autoencoder import DECODE, SQLAutoencoder
from .sql_unet import SQLUNet

ENDS = ("sqld_from", "sqld_to")  # interpolation: the two starting noises


class SQLImg2ImgPipeline(SQLDiffusionPipeline):
    def __call__(self, image, strength: float = 0.8, num_inference_steps: int | None = 50,
                 timesteps: Sequence[int] | None = None, batch_size: int | None = None, seed: int | None = None,
                 generator=None, sampler: str | None = "ddpm", eta: float = 0.0, add_noise: bool = True,
                 noise: np.ndarray | None = None, output_type: str = "pil",
                 callback: Callable[[Step, Callable[[], np.ndarray]], None] | None = None,
                 on_event=None, return_dict: bool = True, class_labels=None, sample_mode: str = "sample",
                 height: int | None = None, width: int | None = None):
        """Redraw `image` (a file name, a PIL image, or a float32 (C, H, W) / (B, C, H, W) array in
        [-1, 1]): noised to the first of the last int(N * strength) timesteps of the N-step plan (or
        of `timesteps`), then denoised from there. `batch_size` pictures of one image (each with its
        own noise); `noise` (B, C, H, W) noises it with a given eps instead of SQL's;
        `class_labels` as `SQLDiffusionPipeline`'s. The sampler is `sampler` (DDPM by default, as
        the blog's; None: `pipe.scheduler`), with `eta` and `add_noise` as `SQLDiffusionPipeline`'s.

        A latent model (`pipe.vae`) edits as StableDiffusionImg2ImgPipeline: the picture encoded in
        SQL (an AutoencoderKL's latents a sample of its distribution, `sample_mode="sample"`, or its
        mean, "argmax"), scaled, noised (`noise`: the latents' shape) and denoised, then decoded
        ("latent": the final latents). `height`, `width`: the size a picture file is resized to (as
        `SQLDiffusionPipeline`'s; an array is taken at its own). Every argument is checked before the
        first statement runs.
        """
        if output_type not in OUTPUT_TYPES:
            raise SQLDiffusionError(f"output_type {output_type!r}: use 'pil', 'np', 'array' or 'latent'")
        if self.vae is None:
            self.unet.model.pixel_model("SQLImg2ImgPipeline")
        scheduler = strength_scheduler(self.run_scheduler(sampler, eta, add_noise), strength, num_inference_steps,
                                       timesteps)
        pictures = self.prepare(image, height, width)
        batch = batch_size or (len(noise) if noise is not None else len(pictures))
        if len(pictures) not in (1, batch):
            raise SQLDiffusionError(f"{len(pictures)} pictures for a batch of {batch}; give one, or one per image")
        seed = resolve_seed(seed, generator)
        if class_labels is None:
            class_labels = default_labels(self.unet.config, batch, seed)
        if self.vae is not None:
            with self.progress_bar(len(scheduler.timesteps)) as bar:
                samples = latent_img2img(self.unet, self.vae, scheduler, pictures, batch, seed, noise, sample_mode,
                                         class_labels, advancing(bar, callback), on_event, output_type != "latent")
            images = images_of(samples, output_type)
            return ImagePipelineOutput(images) if return_dict else (images,)
        check_fits(self.unet.config, *pictures.shape[2:], batch, self.unet.max_memory)  # before the copies
        pictures = np.repeat(pictures, batch // len(pictures), axis=0)
        with self.progress_bar(len(scheduler.timesteps)) as bar:
            samples = denoise(self.unet, scheduler, batch=batch, seed=seed, init_noise=noise,
                              on_step=advancing(bar, callback), image=pictures, on_event=on_event,
                              class_labels=class_labels)
        images = images_of(samples, output_type)
        return ImagePipelineOutput(images) if return_dict else (images,)

    def prepare(self, image, height: int | None = None, width: int | None = None) -> np.ndarray:
        """The picture(s) as float32 (B, C, H, W) in [-1, 1] at the model's size (a latent model's:
        its pictures'; or `height` x `width`); notes on what was changed to get there in `notes`."""
        factor = self.vae.factor if self.vae is not None else 1
        size = sample_size(self.unet.config, factor, height, width)
        array, self.notes, self.picture_size = prepare_pictures(self.unet.config, image, self.vae,
                                                                (size[0] * factor, size[1] * factor))
        return array


def strength_scheduler(scheduler: Scheduler, strength: float, num_inference_steps: int | None = 50,
                       timesteps: Sequence[int] | None = None) -> Scheduler:
    """The scheduler of an image-to-image run: of the plan of `num_inference_steps` (or
    `timesteps`) it visits the last int(N * strength) (`strength_plan`), as diffusers' img2img
    pipelines do; `scheduler` keeps the whole plan."""
    scheduler.set_timesteps(None if timesteps is not None else num_inference_steps, timesteps)
    run = scheduler.with_options()
    run.set_timesteps(timesteps=strength_plan(scheduler.planned, strength))
    if isinstance(scheduler, DDIMScheduler):  # diffusers' DDIM keeps stepping by T // N, whatever the spacing
        run.stride = scheduler.stride
    return run


def latent_inpainting_plan(scheduler: Scheduler, strength: float, steps: int) -> Scheduler:
    """The scheduler of a latent model's inpainting, its plan set: `steps` from noise, or with a
    `strength` below 1 the last int(steps * strength) of them (as img2img); one UNet pass a step."""
    check_blendable(scheduler)
    if strength == 1:
        scheduler.set_timesteps(steps)
        return scheduler
    return strength_scheduler(scheduler, strength, steps)


def prepare_pictures(config, image, vae=None, size: tuple[int, int] | None = None
                     ) -> tuple[np.ndarray, list[str], tuple[int, int] | None]:
    """A file name, PIL image or array in [-1, 1] as float32 (B, C, H, W) at the model's size (with
    a latent model's autoencoder `vae`, the size and channels of its pictures; or `size`), the notes
    on converting it, and the picture's own size (None for an array)."""
    channels = config.in_channels if vae is None else vae.config.in_channels
    if isinstance(image, np.ndarray):
        array = image[None] if image.ndim == 3 else image
        if array.ndim != 4:
            raise SQLDiffusionError(f"image has shape {list(image.shape)}; expected (C, H, W) or (B, C, H, W)")
        if vae is not None:
            array = SQLAutoencoder.checked(array, channels, "pictures")
        return array.astype(np.float32), [], None
    if size is None:
        size = image_size(config)
        if vae is not None:  # an SQLAutoencoder or a loaded one (model.Model)
            size = (size[0] * vae.config.factor, size[1] * vae.config.factor)
    return load_picture(image, channels, size, with_size=True)


class SQLInpaintPipeline(SQLImg2ImgPipeline):
    def __call__(self, image, mask_image, num_inference_steps: int | None = None, jump_length: int | None = None,
                 jump_n_sample: int | None = None, eta: float = 0.0, batch_size: int | None = None,
                 seed: int | None = None, generator=None, noise: np.ndarray | None = None, output_type: str = "pil",
                 callback: Callable[[Step, Callable[[], np.ndarray]], None] | None = None,
                 return_dict: bool = True, sampler: str | None = None, strength: float = 1.0,
                 sample_mode: str = "sample"):
        """Fill in the white part of `mask_image` (a file name, a PIL image, or an array, 1 or
        True = fill) in `image`, by RePaint with diffusers' `RePaintPipeline` defaults (250 steps,
        jumps of 10, 10 times: thousands of UNet passes; fewer steps and jumps are much quicker).
        The kept pixels of the result are the picture's. `noise` (B, C, H, W) is x_T instead of
        SQL's noise. Every argument is checked before the first statement runs.

        A latent model (`pipe.vae`) inpaints as StableDiffusionInpaintPipeline with a plain UNet
        (`latent_editing.latent_inpaint`): `num_inference_steps` (50) of `sampler` (None:
        `pipe.scheduler`) with `eta`, from noise or, `strength` below 1, the picture's latents
        noised; `noise` has the latents' shape; no RePaint jumps."""
        if output_type not in OUTPUT_TYPES:
            raise SQLDiffusionError(f"output_type {output_type!r}: use 'pil', 'np', 'array' or 'latent'")
        if self.vae is not None:
            return self.latent(image, mask_image, num_inference_steps, jump_length, jump_n_sample, eta, batch_size,
                               seed, generator, noise, output_type, callback, return_dict, sampler, strength,
                               sample_mode)
        self.unet.model.pixel_model("SQLInpaintPipeline")
        if sampler is not None or strength != 1:
            raise SQLDiffusionError("a pixel model inpaints by RePaint, which takes no sampler or strength; "
                                    "drop them (a latent model takes them)")
        num_inference_steps = RePaintScheduler.pipeline_steps if num_inference_steps is None else num_inference_steps
        if num_inference_steps < 1:
            raise SQLDiffusionError(f"steps must be at least 1 (got {num_inference_steps})")
        scheduler = RePaintScheduler.from_config(self.scheduler.config, eta=eta)
        scheduler.set_timesteps(num_inference_steps, jump_length or 10, jump_n_sample or 10)
        pictures = self.prepare(image)
        fill = self.prepare_mask(mask_image, pictures)
        batch = self.batch_of(batch_size, noise, pictures)
        check_fits(self.unet.config, *pictures.shape[2:], batch, self.unet.max_memory)  # before the copies
        pictures = np.repeat(pictures, batch // len(pictures), axis=0)
        keep = np.repeat(1 - fill, batch // len(fill), axis=0)
        with self.progress_bar(len(scheduler.planned)) as bar:
            samples = repaint_loop(self.unet, scheduler, pictures, keep, resolve_seed(seed, generator), noise,
                              advancing(bar, callback))
        images = images_of(samples, output_type)
        return ImagePipelineOutput(images) if return_dict else (images,)

    def latent(self, image, mask_image, num_inference_steps, jump_length, jump_n_sample, eta, batch_size, seed,
               generator, noise, output_type, callback, return_dict, sampler, strength, sample_mode):
        """Inpainting in a latent model's space (the arguments as `__call__`'s)."""
        if jump_length is not None or jump_n_sample is not None:
            raise SQLDiffusionError("RePaint's jumps are for pixel models; a latent model inpaints as "
                                    "StableDiffusionInpaintPipeline does: drop jump_length and jump_n_sample")
        steps = 50 if num_inference_steps is None else num_inference_steps
        scheduler = latent_inpainting_plan(self.run_scheduler(sampler, eta), strength, steps)
        pictures = self.prepare(image)
        fill = self.prepare_mask(mask_image, pictures)
        batch = self.batch_of(batch_size, noise, pictures)
        if len(fill) not in (1, batch):
            raise SQLDiffusionError(f"{len(fill)} masks for a batch of {batch}; give one, or one per image")
        with self.progress_bar(len(scheduler.timesteps)) as bar:
            samples = latent_inpaint(self.unet, self.vae, scheduler, pictures, fill, batch,
                                     resolve_seed(seed, generator), noise, strength, sample_mode,
                                     advancing(bar, callback), output_type != "latent")
        images = images_of(samples, output_type)
        return ImagePipelineOutput(images) if return_dict else (images,)

    @staticmethod
    def batch_of(batch_size: int | None, noise, pictures: np.ndarray) -> int:
        batch = batch_size or (len(noise) if noise is not None else len(pictures))
        if len(pictures) not in (1, batch):
            raise SQLDiffusionError(f"{len(pictures)} pictures for a batch of {batch}; give one, or one per image")
        return batch

    def prepare_mask(self, mask_image, pictures: np.ndarray) -> np.ndarray:
        """1 where to fill in, 0 where to keep, as (B, C, H, W) like the pictures."""
        if isinstance(mask_image, np.ndarray):
            fill = np.asarray(mask_image, dtype=np.float32)
            fill = fill.reshape((1, 1) + fill.shape) if fill.ndim == 2 else fill
            fill = (np.broadcast_to(fill, (fill.shape[0], *pictures.shape[1:])) >= 0.5).astype(np.float32)
        else:
            fill = load_mask(mask_image, pictures.shape[1], pictures.shape[2:], getattr(self, "picture_size", None))
        if not fill.any():
            raise SQLDiffusionError("the mask has nothing to fill in: paint white where the picture is to be redrawn")
        if fill.all():
            raise SQLDiffusionError("the mask covers the whole picture: nothing is kept; use generate")
        return fill


def invert(pipe: SQLDiffusionPipeline, image, num_inference_steps: int = 50,
           callback: Callable[[Step, Callable[[], np.ndarray]], None] | None = None) -> np.ndarray:
    """DDIM inversion: the starting noise x_T (B, C, H, W) from which DDIM with eta 0 and the same
    number of steps redraws about `image` (a file name, a PIL image or an array in [-1, 1]). A
    latent model's: the latent x_T, from the picture's latents (encoded in SQL: the mean)."""
    if pipe.vae is None:
        pipe.unet.model.pixel_model("invert")
    scheduler = DDIMInverseScheduler.from_config(pipe.scheduler.config)
    scheduler.set_timesteps(num_inference_steps)
    pictures = prepare_pictures(pipe.unet.config, image, pipe.vae)[0]
    with pipe.progress_bar(len(scheduler.planned)) as bar:
        return inversion_loop(pipe.unet, scheduler, pictures, advancing(bar, callback), pipe.vae)


def interpolate(pipe: SQLDiffusionPipeline, frames: int = 8, seeds: tuple[int, int] = (0, 1), images=None,
                num_inference_steps: int = 50, output_type: str = "pil",
                callback: Callable[[Step, Callable[[], np.ndarray]], None] | None = None) -> ImagePipelineOutput:
    """`frames` pictures morphing from one to another: the starting noises of two seeds (or of two
    pictures, by DDIM inversion) interpolated on the sphere, each denoised by DDIM with eta 0."""
    if output_type not in OUTPUT_TYPES:
        raise SQLDiffusionError(f"output_type {output_type!r}: use 'pil', 'np', 'array' or 'latent'")
    if pipe.vae is None:
        pipe.unet.model.pixel_model("interpolate")
    if len(seeds) != 2 or (images is not None and len(images) != 2):
        raise SQLDiffusionError("interpolation runs between two seeds or two pictures")
    scheduler = DDIMScheduler.from_config(pipe.scheduler.config)
    scheduler.set_timesteps(num_inference_steps)
    noises = None
    if images is not None:
        noises = tuple(invert(pipe, image, num_inference_steps) for image in images)
    with pipe.progress_bar(len(scheduler.planned)) as bar:
        samples = interpolation_loop(pipe.unet, scheduler, frames, tuple(seeds), noises, advancing(bar, callback),
                                     None if output_type == "latent" else pipe.vae)
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
           on_step: Callable[[Step, Callable[[], np.ndarray]], None] | None = None,
           vae: SQLAutoencoder | None = None) -> np.ndarray:
    """DDIM inversion (`schedulers.editing.DDIMInverseScheduler`, its plan set) in `net`'s engine:
    from clean pictures (B, C, H, W) up its ascending plan; returns the noise x_T that DDIM (eta 0)
    turns back into about the pictures. With a latent model's `vae`, from the pictures' latents."""
    engine = net.engine
    if vae is None:
        image, _ = net.check_inputs(image, scheduler.planned[0])
        shape = image.shape
        begin = lambda: engine.put_image(SAMPLE, image)  # noqa: E731
    else:
        shape = (len(image), net.config.in_channels, *(side // vae.factor for side in image.shape[2:]))
        begin = encoded_sample(net, vae, image)
    program = net.program_for(shape)
    try:
        loop(engine, program, scheduler, shape, 0, on_step=on_step, begin=begin)
        return engine.fetch_image(SAMPLE, shape)
    finally:
        engine.drop(*relations(program, scheduler))


def interpolation_loop(net: SQLUNet, scheduler: DDIMScheduler, frames: int, seeds: tuple[int, int] = (0, 1),
                noises: tuple[np.ndarray, np.ndarray] | None = None,
                on_step: Callable[[Step, Callable[[], np.ndarray]], None] | None = None,
                vae: SQLAutoencoder | None = None) -> np.ndarray:
    """`frames` pictures between two: their starting noises (SQL's of two seeds, or two given
    (1, C, H, W) tensors such as inverted pictures) interpolated spherically in SQL, each then
    denoised by `scheduler` (DDIM with eta 0, its plan set: deterministic, so the frames change
    smoothly). (frames, C, H, W); with a latent model's `vae`, the frames' latents decoded."""
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
    decoder = None if vae is None else vae.program_for(DECODE, frames, shape[2] * vae.factor, shape[3] * vae.factor)

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
        return engine.fetch_image(SAMPLE, shape) if decoder is None else decode(engine, vae, decoder, shape)
    finally:
        engine.drop(*relations(program, scheduler), *ENDS, *(decoded_relations(decoder) if decoder else ()))
