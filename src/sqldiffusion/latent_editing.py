"""Editing in a latent model's space, in SQL, as diffusers' latent pipelines edit: the picture is
encoded by the autoencoder in the engine, scaled into the UNet's latent space, edited there
(image-to-image, inpainting, inversion) and decoded at the end.

- image-to-image (StableDiffusionImg2ImgPipeline): an AutoencoderKL's latents are a sample of its
  latent distribution (`retrieve_latents(..., sample_mode="sample")`; "argmax" takes the mean), its
  noise drawn in SQL from the run's seed on a stream of its own (ENCODE_STREAM); the latents
  (z - shift_factor) * scaling_factor; then noised to the strength's first timestep and denoised;
- inpainting (StableDiffusionInpaintPipeline with a plain UNet, whose input is the latents alone):
  the mask is taken to the latents' size by nearest-neighbour sampling (`interpolate(mask, size=(h //
  f, w // f))`), and after every step the known region is the picture's latents noised, by the
  start's noise, to the next pass's level (at the last step, the latents themselves);
- inversion: the latents of the picture (the distribution's mean: inversion is deterministic).

Python reads and resizes the pictures and masks and uploads them; every encode, scaling, noising,
UNet pass, step, blend and decode runs in the engine.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .backends.noise import MAX_STREAMS
from .errors import SQLDiffusionError
from .events import Step
from .graph.autoencoder_config import AutoencoderKLConfig
from .guidance import Guidance
from .literals import number
from .pipeline import decode, decoded_relations, loop, relations
from .program import NOISE, PIXELS, SAMPLE
from .schedulers import (
    CMStochasticIterativeScheduler,
    HeunDiscreteScheduler,
    PNDMScheduler,
    Scheduler,
)
from .schedulers.base import COEFFICIENTS, replace_sample
from .schedulers.dpm import MultistepScheduler
from .schedulers.editing import IMAGE, MASK
from .schedulers.schedule import add_noise_sql
from .schedulers.sigmas import SigmaScheduler
from .schedulers.sql import noised
from .sql_autoencoder import DECODE, ENCODE, SAMPLE_PASS, SQLAutoencoder
from .sql_unet import SQLUNet

ENCODE_STREAM = MAX_STREAMS - 1  # the noise of an encoder's sample: a stream no sampler step reaches first
KEPT_NOISE = "sqld_start_noise"  # inpainting: the start's noise, which noises the known latents at each step
BLEND = "sqld_blend"  # inpainting: the known latents' noise level after the current step
SAMPLE_MODES = ("sample", "argmax")  # diffusers' retrieve_latents


def latent_size(vae: SQLAutoencoder, height: int, width: int) -> tuple[int, int]:
    """The latents' size of pictures of this size (one line if the autoencoder does not take it)."""
    f = vae.factor
    if height % f or width % f:
        raise SQLDiffusionError(f"pictures of {height}x{width} do not fit this autoencoder: height and width must be "
                                f"multiples of {f}")
    return height // f, width // f


def latent_mask(fill: np.ndarray, factor: int, channels: int) -> np.ndarray:
    """A (B, C, H, W) mask of the pictures (1 = fill in) at the latents' size, as diffusers'
    `interpolate(mask, size=(H // f, W // f))` (nearest: the pixel at (f i, f j)), one channel per
    latent channel."""
    small = fill[:, :1, ::factor, ::factor]
    return np.repeat(small, channels, axis=1).astype(np.float32)


def encode_into(engine, vae: SQLAutoencoder, pictures: np.ndarray, target: str, copies: int = 1,
                seed: int | None = None) -> None:
    """`target` <- the scaled latents of `pictures` (B, C, H, W) in [-1, 1], each repeated `copies`
    times in a row (np.repeat's order), as diffusers' pipelines make them: the encoder's latents
    (an AutoencoderKL's sample with `seed`, its noise SQL's from ENCODE_STREAM; else its mean), then
    (z - shift_factor) * scaling_factor. All in SQL; the encoder's relations are dropped after."""
    b, _, h, w = pictures.shape
    pass_name = SAMPLE_PASS if seed is not None else ENCODE
    program = vae.program_for(pass_name, b, h, w)
    made = [s.target for s in program.statements]
    try:
        engine.put_image(PIXELS, pictures)
        if seed is not None:
            engine.create(NOISE, engine.dialect.gaussian_noise((b, *program.output_shape), seed, ENCODE_STREAM))
        output = vae.execute(program)
        engine.create(target, scaled_copies(engine.dialect, output, program.output_shape[0], copies,
                                            vae.scaling_factor, vae.shift_factor or 0.0))
    finally:
        engine.drop(PIXELS, NOISE, *made)


def scaled_copies(dialect, relation: str, channels: int, copies: int, scale: float, shift: float) -> str:
    """Each image of `relation` as (x - shift) * scale, `copies` times in a row: image b becomes
    images b * copies .. b * copies + copies - 1."""
    s, k = number(float(scale)), number(float(shift))
    index = dialect.cast(f"r.b * {int(copies)} + k", "INTEGER")
    values = dialect.map_channels(channels, lambda x: f"({x} - {k}) * {s}", "r", cast=True)
    return f"SELECT {index} AS b, r.y, r.x, {values}\nFROM {relation} r CROSS JOIN {dialect.series(int(copies), 'k')}"


def sample_seed(vae: SQLAutoencoder, sample_mode: str, seed: int) -> int | None:
    """The seed of the encoder's sample (None: its latents as they are, or the mean)."""
    if sample_mode not in SAMPLE_MODES:
        raise SQLDiffusionError(f"sample_mode {sample_mode!r}: use 'sample' (the latent distribution's sample, as "
                                "diffusers' img2img pipelines) or 'argmax' (its mean)")
    return seed if sample_mode == "sample" and isinstance(vae.config, AutoencoderKLConfig) else None


def start_from(engine, scheduler: Scheduler, shape: tuple, seed: int, noise: np.ndarray | None, noise_to: str,
               pure_noise: bool) -> None:
    """SAMPLE at the first pass, the picture's latents in IMAGE: `noise_to` <- the noise (given, or
    SQL's stream 0); then SAMPLE <- the latents noised by it to the first pass's level or, with
    `pure_noise` (strength 1 inpainting), the noise scaled as a run from noise scales it."""
    if noise is not None:
        engine.put_image(noise_to, noise)
    else:
        engine.create(noise_to, engine.dialect.gaussian_noise(shape, seed, stream=0))
    dialect, channels = engine.dialect, shape[1]
    if not pure_noise:
        engine.create(COEFFICIENTS, scheduler.start_sql())
        engine.create(SAMPLE, noised(dialect, IMAGE, noise_to, COEFFICIENTS, channels))
    elif (scale := scheduler.init_scale_sql()) is not None:
        engine.create(COEFFICIENTS, scale)
        engine.create(SAMPLE, dialect.pixelwise(channels, lambda x: f"c.sa * {x}", [noise_to], COEFFICIENTS))
    else:
        engine.create(SAMPLE, dialect.pixelwise(channels, lambda x: x, [noise_to]))
    engine.drop(COEFFICIENTS)


def check_shape(given: np.ndarray | None, shape: tuple, what: str = "noise") -> None:
    if given is not None and tuple(given.shape) != tuple(shape):
        raise SQLDiffusionError(f"the {what} has shape {list(given.shape)} but the latents {list(shape)}")


def latent_img2img(net: SQLUNet, vae: SQLAutoencoder, scheduler: Scheduler, pictures: np.ndarray, batch: int,
                   seed: int, noise: np.ndarray | None = None, sample_mode: str = "sample", class_labels=None,
                   on_step: Callable[[Step, Callable[[], np.ndarray]], None] | None = None, on_event=None,
                   decoded: bool = True, guidance: Guidance | None = None, tokens: int | None = None) -> np.ndarray:
    """Image-to-image in the latent space (StableDiffusionImg2ImgPipeline's order): `pictures`
    (1 or `batch`, C, H, W) encoded and scaled, repeated to the batch, noised (by SQL's noise or
    `noise`, the latents' shape) to the first of `scheduler`'s timesteps (its plan set), denoised,
    and decoded (`decoded`; else the final latents). A text-to-image UNet reads the text relation
    the caller made (`tokens` long), with `guidance` where asked (`pipeline.denoise`'s)."""
    engine, (b, _, height, width) = net.engine, pictures.shape
    shape = (batch, net.config.in_channels, *latent_size(vae, height, width))
    if noise is not None:
        noise, _ = net.check_inputs(noise, scheduler.timesteps[0])
        check_shape(noise, shape)
    program = net.program_for(shape if guidance is None else (guidance.passes_batch, *shape[1:]), tokens)
    decoder = vae.program_for(DECODE, batch, height, width) if decoded else None
    labels = net.checked_labels(class_labels, batch)
    encoder_seed = sample_seed(vae, sample_mode, seed)

    def begin() -> None:
        encode_into(engine, vae, pictures, IMAGE, batch // b, encoder_seed)
        start_from(engine, scheduler, shape, seed, noise, NOISE, pure_noise=False)
        engine.drop(IMAGE, NOISE)

    try:
        loop(engine, program, scheduler, shape, seed, on_step=on_step, begin=begin, on_event=on_event,
             class_labels=labels, guidance=guidance)
        return engine.fetch_image(SAMPLE, shape) if decoder is None else decode(engine, vae, decoder, shape)
    finally:
        engine.drop(*relations(program, scheduler), IMAGE, *(decoded_relations(decoder) if decoder else ()))


def check_blendable(scheduler: Scheduler) -> None:
    """Inpainting blends the known latents in after each pass: for samplers of one pass a step."""
    if isinstance(scheduler, (HeunDiscreteScheduler, PNDMScheduler, CMStochasticIterativeScheduler)):
        raise SQLDiffusionError(f"a latent model inpaints with one UNet pass a step: ddpm, ddim, dpmpp-2m, dpmpp-3m, "
                                f"dpmpp-2m-sde, unipc, euler or euler-a, not {scheduler.name}")


def noising_sql(scheduler: Scheduler, i: int) -> str:
    """One row (sa, sb): a clean latent noised to pass i's level (what diffusers' scheduler.add_noise
    gives at the pass's timestep, in the sample's variance-preserving scale)."""
    if isinstance(scheduler, SigmaScheduler):  # the plan's sigma (Karras or not)
        s = scheduler.sigma(i)
        return f"SELECT 1 / sqrt({s} * {s} + 1) AS sa, {s} / sqrt({s} * {s} + 1) AS sb"
    t = scheduler.planned[i]
    if isinstance(scheduler, MultistepScheduler):
        return f"SELECT a_t AS sa, s_t AS sb FROM (SELECT {scheduler.level(t, 't')}) AS a"
    return add_noise_sql(t)


class KnownLatents:
    """A scheduler whose every step is followed by inpainting's blend, as
    StableDiffusionInpaintPipeline's loop with a 4-channel UNet: the filled region (MASK 0) as the
    step made it, the kept one (MASK 1) the picture's latents (IMAGE) noised by the start's noise
    (KEPT_NOISE) to the next pass's level, at the last step the latents themselves. Everything else
    is the scheduler's."""

    def __init__(self, scheduler: Scheduler) -> None:
        check_blendable(scheduler)
        self.inner = scheduler

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def step(self, engine, i: int, eps: str, noise: str | None, channels: int, predict: bool = False) -> None:
        self.inner.step(engine, i, eps, noise, channels, predict)
        last = i + 1 >= len(self.inner.timesteps)
        engine.create(BLEND, "SELECT 1.0 AS sa, 0.0 AS sb" if last else noising_sql(self.inner, i + 1))
        replace_sample(engine, engine.dialect.pixelwise(
            channels, lambda x, known, z, keep: f"{keep} * (c.sa * {known} + c.sb * {z}) + (1 - {keep}) * {x}",
            [SAMPLE, IMAGE, KEPT_NOISE, MASK], BLEND))
        engine.drop(BLEND)

    def relations(self) -> tuple[str, ...]:
        return (*self.inner.relations(), IMAGE, MASK, KEPT_NOISE, BLEND)


def latent_inpaint(net: SQLUNet, vae: SQLAutoencoder, scheduler: Scheduler, pictures: np.ndarray, fill: np.ndarray,
                   batch: int, seed: int, noise: np.ndarray | None = None, strength: float = 1.0,
                   sample_mode: str = "sample",
                   on_step: Callable[[Step, Callable[[], np.ndarray]], None] | None = None,
                   decoded: bool = True) -> np.ndarray:
    """Inpainting in the latent space (StableDiffusionInpaintPipeline with a plain UNet): `fill`
    (1 or `batch`, C, H, W; 1 = fill in) at the pictures' size is taken to the latents'; from pure
    noise (`strength` 1) or the picture's latents noised to `scheduler`'s first timestep, every
    step is followed by the blend of the known latents (`KnownLatents`); decoded at the end."""
    engine, (b, _, height, width) = net.engine, pictures.shape
    shape = (batch, net.config.in_channels, *latent_size(vae, height, width))
    blending = KnownLatents(scheduler)
    if noise is not None:
        noise, _ = net.check_inputs(noise, scheduler.timesteps[0])
        check_shape(noise, shape)
    keep = 1 - np.repeat(latent_mask(fill, vae.factor, shape[1]), batch // len(fill), axis=0)
    program = net.program_for(shape)
    decoder = vae.program_for(DECODE, batch, height, width) if decoded else None
    encoder_seed = sample_seed(vae, sample_mode, seed)

    def begin() -> None:
        encode_into(engine, vae, pictures, IMAGE, batch // b, encoder_seed)
        engine.put_image(MASK, keep)
        start_from(engine, scheduler, shape, seed, noise, KEPT_NOISE, pure_noise=strength == 1)

    try:
        loop(engine, program, blending, shape, seed, on_step=on_step, begin=begin)
        return engine.fetch_image(SAMPLE, shape) if decoder is None else decode(engine, vae, decoder, shape)
    finally:
        engine.drop(*relations(program, blending), *(decoded_relations(decoder) if decoder else ()))


def encoded_sample(net: SQLUNet, vae: SQLAutoencoder, pictures: np.ndarray) -> Callable[[], None]:
    """A loop's `begin` that fills SAMPLE with the pictures' scaled latents (the distribution's
    mean): where DDIM inversion starts."""
    return lambda: encode_into(net.engine, vae, pictures, SAMPLE)
