"""`SQLDiffusionPipeline`: image generation in the style of diffusers' `DDPMPipeline`, run in SQL.

>>> pipe = SQLDiffusionPipeline.from_pretrained("demo")
>>> images = pipe(batch_size=4, timesteps=[500, 250, 125, 60, 0], seed=0).images   # PIL images

The pipeline owns the denoising loop: noise, UNet passes and sampler steps, all as SQL in one
engine. Python only orders the statements: it makes x_T (SQL Gaussian noise, or an uploaded tensor),
then for each planned timestep runs the UNet program on the current sample, computes the step's
coefficients from the schedule table, draws the step's noise and replaces the sample with x_prev.
The sample never leaves the engine unless a caller asks to see it (progress pictures, the result).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .backends import DEFAULT as DEFAULT_ENGINE
from .errors import SQLDiffusionError
from .events import Event, StatementFinished, StatementStarted, Step, StepFinished
from .graph.unet import smallest_size
from .guidance import RELATIONS as GUIDANCE_RELATIONS
from .guidance import Guidance
from .model import Model, load_model
from .pictures import to_pixels
from .preflight import check_latent_fits
from .preview import LatentPreview, RunWatcher, check_preview_fits, latent_preview
from .program import CLASS_LABELS, LATENTS, SAMPLE, TIMESTEPS
from .schedulers import Scheduler, as_scheduler, make_scheduler, sampler_of_config, scheduler_from_config
from .schedulers.base import COEFFICIENTS, NEXT, PREDICTION
from .schedulers.editing import IMAGE
from .schedulers.sql import noised
from .sql_autoencoder import DECODE, SQLAutoencoder, latents_sql
from .sql_unet import SQLUNet

NOISE = "sqld_noise"
# pil: PIL images; np: (B, H, W, C) in [0, 1]; array: the pictures (B, C, H, W) as the network (the
# decoder of a latent model) gives them, unclamped; latent: the final samples (a latent model's latents)
OUTPUT_TYPES = ("pil", "np", "array", "latent")


@dataclass
class ImagePipelineOutput:
    images: list | np.ndarray  # PIL images, or (B, H, W, C) floats in [0, 1] for output_type="np"


class SQLDiffusionPipeline:
    def __init__(self, unet: SQLUNet, scheduler=None, vae: SQLAutoencoder | None = None,
                 preview_vae: SQLAutoencoder | None = None) -> None:
        self.unet = unet
        self.scheduler = scheduler if scheduler is not None else scheduler_from_config(unet.model.scheduler_config)
        self.vae = vae
        self.preview_vae = preview_vae
        self._progress_bar_config: dict = {}

    @property
    def vae(self) -> SQLAutoencoder | None:
        """A latent model's autoencoder: the pictures are its decoding of the samples (None: the
        samples are the pictures). Assign another, as diffusers' `pipe.vae = ...`: an SQLAutoencoder,
        or a folder or Hub id imported into the UNet's engine; its latents must be the UNet's."""
        return self._vae

    @vae.setter
    def vae(self, vae) -> None:
        vae = self._autoencoder(vae)
        if vae is not None:
            check_latents_fit(self.unet.config, vae)
            if getattr(self, "_preview_vae", None) is not None:
                check_preview_fits(vae, self._preview_vae)
        self._vae = vae

    @property
    def preview_vae(self) -> SQLAutoencoder | None:
        """A latent model's preview autoencoder (a tiny one: TAESD), whose decode of each step's
        latents the callbacks and events show (`sqldiffusion.preview`; None: the preview the model's
        autoencoder suggests). Assign an SQLAutoencoder, or a folder or Hub id imported into the
        UNet's engine."""
        return self._preview_vae

    @preview_vae.setter
    def preview_vae(self, vae) -> None:
        self._preview_vae = self._autoencoder(vae)

    def _autoencoder(self, vae) -> SQLAutoencoder | None:
        if vae is not None and not isinstance(vae, SQLAutoencoder):
            vae = SQLAutoencoder(vae, self.unet.engine, max_memory=self.unet.max_memory)
        return vae

    def preview(self, preview_vae=None) -> LatentPreview | None:
        """How a call shows a latent model's steps (None for a pixel model): through `preview_vae`
        (or `pipe.preview_vae`) where one is given."""
        return latent_preview(self.vae, self._autoencoder(preview_vae) or self.preview_vae)

    def picture_size(self) -> tuple[int, int]:
        """The size of the pictures a call makes: the UNet's samples, decoded where there is a vae."""
        height, width = image_size(self.unet.config)
        factor = self.vae.factor if self.vae is not None else 1
        return height * factor, width * factor

    @property
    def scheduler(self) -> Scheduler:
        """The sampler the pipeline runs: by default the one the model's scheduler_config.json names.
        Assign one of ours (`DDIMScheduler.from_config(pipe.scheduler.config)`) or a diffusers
        scheduler object, read by its class name and config."""
        return self._scheduler

    @scheduler.setter
    def scheduler(self, scheduler) -> None:
        self._scheduler = as_scheduler(scheduler)

    def run_scheduler(self, sampler: str | None = None, eta: float = 0.0, add_noise: bool = True,
                      use_karras_sigmas: bool | None = None) -> Scheduler:
        """The scheduler of a call: `pipe.scheduler`, or one made from its config where the call names
        a sampler (a short name of schedulers.SAMPLERS) or an option. Karras sigmas carry over only
        to the same sampler."""
        base = self._scheduler
        if sampler is None and not eta and add_noise and use_karras_sigmas is None:
            scheduler = base
        else:
            name = base.name if sampler is None else sampler
            karras = use_karras_sigmas if use_karras_sigmas is not None else base.karras and name == base.name
            scheduler = make_scheduler(name, base.config, eta, add_noise, karras)
        check_sampler_fits(self.unet.model.scheduler_config, scheduler.name)
        return scheduler

    def set_progress_bar_config(self, **kwargs) -> None:
        """Options of the progress bar, as tqdm takes them (diffusers' habit): `disable=True` hides
        it, `disable=False` draws it anywhere, the default (None) draws it on a terminal."""
        self._progress_bar_config = kwargs

    def progress_bar(self, total: int):
        """A tqdm bar of `total` steps (a notebook's widget in a notebook: `tqdm.auto`)."""
        from tqdm.auto import tqdm

        return tqdm(total=total, **{"disable": None, **self._progress_bar_config})

    @classmethod
    def from_pretrained(cls, model: str | Path | Model = "demo", engine: str = DEFAULT_ENGINE,
                        database: str | None = None, max_memory: int | None = None) -> "SQLDiffusionPipeline":
        """Load a model (folder, Hub id, or "demo") and import it into the engine (once per
        database): its UNet and, for a latent model's pipeline folder, its autoencoder."""
        loaded = (model if isinstance(model, Model) else load_model(model)).untexted(cls.__name__)
        net = SQLUNet(loaded, engine, database, max_memory=max_memory)
        return cls(net, vae=autoencoder_of(loaded, net))

    def __call__(self, batch_size: int = 1, num_inference_steps: int | None = None,
                 timesteps: Sequence[int] | None = None, seed: int | None = None, generator=None,
                 sampler: str | None = None, eta: float = 0.0, add_noise: bool = True,
                 init_noise: np.ndarray | None = None, output_type: str = "pil",
                 callback: Callable[[Step, Callable[[], np.ndarray]], None] | None = None,
                 on_event: Callable[[Event], None] | None = None, return_dict: bool = True,
                 use_karras_sigmas: bool | None = None, class_labels: int | Sequence[int] | None = None,
                 height: int | None = None, width: int | None = None, preview_vae=None):
        """Generate images. `timesteps` (a descending list) overrides `num_inference_steps`, which
        defaults to 1000, every training step, as diffusers' `DDPMPipeline` does (minutes on a CPU;
        the command line's default is DPM-Solver++ 2M SDE with Karras sigmas, 8 steps), and to one pass
        for a consistency model, as `ConsistencyModelPipeline` does.

        Every argument is checked before the first statement runs.

        The noise comes from SQL, seeded by `seed` (or by `generator`: a torch.Generator's
        initial_seed, or a draw from a numpy Generator); `init_noise` (B, C, H, W) starts from a
        given x_T instead, scaled by the scheduler's init_noise_sigma as diffusers' pipelines scale
        their latents. `sampler`: one of `schedulers.SCHEDULERS` ("ddpm", optionally without added
        noise; "ddim" with `eta`; "dpmpp-2m", "dpmpp-3m", "dpmpp-2m-sde", "euler", "euler-a", "heun"),
        `use_karras_sigmas` as diffusers' option of that name; by default both come from the
        model's scheduler_config.json, as a diffusers pipeline's scheduler does. The progress bar
        counts UNet passes (Heun makes two per step).

        `class_labels` (class-conditional models): one class for every image, or one per image;
        by default drawn at random from the model's classes with the seed, as diffusers'
        ConsistencyModelPipeline draws them.

        `sampler`, `eta`, `add_noise` and `use_karras_sigmas` run another scheduler than
        `pipe.scheduler` for this call (see `run_scheduler`).

        `height`, `width`: the pictures' size (by default the UNet's sample_size, times the
        autoencoder's factor for a latent model); multiples of that factor times the UNet's
        smallest side (`sample_size`).

        `callback(step, peek)` is called after every step (`peek()` fetches x_t; `peek.preview()`
        a latent model's preview of it, computed in SQL); `on_event(event)` gets every statement as
        it starts and finishes and, after every step, x_t and the predicted clean picture x0, with
        their previews in a latent model's run (`sqldiffusion.events`). A latent model's previews
        come from `preview_vae` (an AutoencoderTiny, as a folder, Hub id or SQLAutoencoder), else
        `pipe.preview_vae`, else a fixed map of its latents (`sqldiffusion.preview`).
        """
        if output_type not in OUTPUT_TYPES:
            raise SQLDiffusionError(f"output_type {output_type!r}: use 'pil', 'np', 'array' or 'latent'")
        scheduler = self.run_scheduler(sampler, eta, add_noise, use_karras_sigmas)
        if num_inference_steps is None and timesteps is None:
            num_inference_steps = scheduler.pipeline_steps
        scheduler.set_timesteps(None if timesteps is not None else num_inference_steps, timesteps)
        seed = resolve_seed(seed, generator)
        batch = batch_size if init_noise is None else 1 if np.ndim(init_noise) == 3 else len(init_noise)
        if class_labels is None:
            class_labels = default_labels(self.unet.config, batch, seed)
        vae = None if output_type == "latent" else self.vae
        size = sample_size(self.unet.config, self.vae.factor if self.vae is not None else 1, height, width)
        if init_noise is not None and (height, width) != (None, None) and tuple(np.shape(init_noise)[-2:]) != size:
            raise SQLDiffusionError(f"init_noise is {np.shape(init_noise)[-2]}x{np.shape(init_noise)[-1]}, but height "
                                    f"and width ask for samples of {size[0]}x{size[1]}; give one or the other")
        preview = self.preview(preview_vae)
        with self.progress_bar(len(scheduler.timesteps)) as bar:
            samples = denoise(self.unet, scheduler, batch=batch_size, seed=seed, init_noise=init_noise,
                              on_step=advancing(bar, callback), on_event=on_event, class_labels=class_labels, vae=vae,
                              size=size, preview=preview)
        images = images_of(samples, output_type)
        return ImagePipelineOutput(images) if return_dict else (images,)


def advancing(bar, callback: Callable | None = None) -> Callable:
    """A step callback that moves `bar` to the step done, shows its timestep, then calls `callback`."""
    def on_step(step: Step, peek) -> None:
        bar.update(min(step.index + 1, bar.total) - bar.n)
        bar.set_postfix_str(f"t={step.timestep:g}", refresh=True)
        if callback is not None:
            callback(step, peek)
    return on_step


def check_sampler_fits(scheduler_config: dict | None, sampler: str) -> None:
    """A consistency model samples with its own scheduler, and no other model with it."""
    configured = sampler_of_config(scheduler_config)[0]
    if configured == "consistency" and sampler != "consistency":
        raise SQLDiffusionError(f"this is a consistency model (CMStochasticIterativeScheduler): it samples with "
                                f"--sampler consistency, not {sampler}")
    if sampler == "consistency" and configured != "consistency":
        raise SQLDiffusionError("--sampler consistency is for consistency models (scheduler_config.json naming "
                                "CMStochasticIterativeScheduler); this model's is another")


def default_labels(config, batch: int, seed: int) -> list[int] | None:
    """Classes for a class-conditional model whose caller named none: drawn with the seed from its
    embedding table (None for other models; a "timestep" class embedding needs them given)."""
    if config.num_class_embeds is None or config.class_embed_type is not None:
        return None
    return [int(c) for c in np.random.default_rng(seed).integers(0, config.num_class_embeds, batch)]


def autoencoder_of(loaded: Model, net: SQLUNet) -> SQLAutoencoder | None:
    """The autoencoder a latent model's pipeline folder names, imported into the UNet's engine."""
    if loaded.autoencoder is None:
        return None
    return SQLAutoencoder(loaded.autoencoder, net.engine, max_memory=net.max_memory)


def check_latents_fit(config, vae: SQLAutoencoder) -> None:
    """The UNet's samples must be the autoencoder's latents."""
    if vae.latent_channels != config.in_channels:
        raise SQLDiffusionError(f"the autoencoder {vae.model.name} "
                                f"takes latents of {vae.latent_channels} channels, but "
                                f"the UNet's samples have {config.in_channels}; give an autoencoder of this model's "
                                "latent space")


def images_of(samples: np.ndarray, output_type: str):
    """Samples (B, C, H, W) in [-1, 1] as the caller asked: "latent" and "array" as they are, "np"
    (B, H, W, C) in [0, 1], "pil" a list of PIL images."""
    if output_type in ("latent", "array"):
        return samples
    if output_type == "np":
        return np.clip(samples / 2 + 0.5, 0, 1).transpose(0, 2, 3, 1)
    from PIL import Image

    return [Image.fromarray(p.squeeze(-1) if p.shape[-1] == 1 else p) for p in to_pixels(samples)]


MAX_SEED = 2 ** 63 - 1  # the largest seed any front end takes (stored as a BIGINT)


def resolve_seed(seed: int | None, generator=None) -> int:
    """The seed the SQL noise is drawn from: `seed` (0 to MAX_SEED) or a generator's, taken modulo
    2^62 so that the noise's integer arithmetic stays within a BIGINT on every engine."""
    if seed is not None and generator is not None:
        raise SQLDiffusionError("give a seed or a generator, not both")
    if generator is not None:
        if hasattr(generator, "initial_seed"):  # torch.Generator
            return int(generator.initial_seed()) % 2 ** 62
        if hasattr(generator, "integers"):  # numpy.random.Generator
            return int(generator.integers(0, 2 ** 62))
        raise SQLDiffusionError("generator must be a torch.Generator or a numpy.random.Generator")
    if seed is None:
        return int(np.random.SeedSequence().entropy % 2 ** 62)
    if not 0 <= int(seed) <= MAX_SEED:
        raise SQLDiffusionError(f"seed {seed} is outside 0 to {MAX_SEED}")
    return int(seed) % 2 ** 62


def image_size(config) -> tuple[int, int]:
    size = config.sample_size
    if size is None:
        raise SQLDiffusionError("the model's config.json has sample_size null, so the picture's size is unknown; "
                                "set sample_size to the size the model was trained at")
    if isinstance(size, (list, tuple)):
        return int(size[0]), int(size[1])
    return int(size), int(size)


def sample_size(config, factor: int = 1, height: int | None = None, width: int | None = None) -> tuple[int, int]:
    """The UNet's sample size for pictures of `height` x `width` (either None: the model's own, its
    sample_size times the autoencoder's `factor`, 1 for a pixel model); one line unless each is a
    multiple of `factor` times the UNet's smallest side."""
    own = image_size(config)
    if height is None and width is None:
        return own
    height = own[0] * factor if height is None else height
    width = own[1] * factor if width is None else width
    step = factor * smallest_size(config)
    if isinstance(height, bool) or isinstance(width, bool) or not all(isinstance(v, (int, np.integer))
                                                                      for v in (height, width)) \
            or height < 1 or width < 1 or height % step or width % step:
        raise SQLDiffusionError(f"height and width {height}x{width} do not fit this model: give positive multiples of "
                                f"{step} (its UNet halves {smallest_size(config).bit_length() - 1} times"
                                + (f", on latents {factor} times smaller)" if factor > 1 else ")"))
    return height // factor, width // factor


def denoise(net: SQLUNet, scheduler: Scheduler, batch: int = 1, seed: int = 0, init_noise: np.ndarray | None = None,
            on_step: Callable[[Step, Callable[[], np.ndarray]], None] | None = None,
            image: np.ndarray | None = None, on_event: Callable[[Event], None] | None = None,
            class_labels=None, vae: SQLAutoencoder | None = None, size: tuple[int, int] | None = None,
            guidance: Guidance | None = None, preview: LatentPreview | None = None,
            tokens: int | None = None) -> np.ndarray:
    """Run the whole loop in `net`'s engine; return the final sample (B, C, H, W) or, with `vae`,
    its decoding (the latents scaled as diffusers' pipelines scale them, then decoded, in SQL).
    `preview`: how a latent model's steps are shown to `on_step` and `on_event` (preview.py); the
    decode's statements are reported to `on_event` too.

    Without `image`, the loop starts from x_T: SQL noise, or `init_noise`. With `image` (clean
    pictures in [-1, 1], one per batch item), from the picture noised to the first timestep, by SQL
    noise or by `init_noise` (image-to-image). `on_step(step, peek)` is called after each step;
    `peek()` fetches the current sample. `on_event` gets the run's events (`sqldiffusion.events`).
    `class_labels`: for a class-conditional model, one class per image (or one for all).
    `scheduler`: its timesteps set. `size`: the samples' (height, width) from noise (None: the model's).
    `guidance`: classifier-free guidance of a text-conditioned UNet, whose text relation (of `tokens`
    tokens per item) the caller has made.
    """
    engine = net.engine
    timesteps = scheduler.timesteps
    if image is not None:
        image, _ = net.check_inputs(image, timesteps[0])
        if init_noise is not None and np.shape(init_noise) != image.shape:
            raise SQLDiffusionError(f"the noise has shape {list(np.shape(init_noise))} but the pictures "
                                    f"{list(image.shape)}")
    if init_noise is not None:
        init_noise, _ = net.check_inputs(init_noise, timesteps[0])
        shape = init_noise.shape
    elif image is not None:
        shape = image.shape
    else:
        if batch < 1:
            raise SQLDiffusionError(f"batch size must be at least 1 (got {batch})")
        shape = (batch, net.config.in_channels, *(size or image_size(net.config)))
    if net.config.out_channels != net.config.in_channels:
        raise SQLDiffusionError("the model's out_channels differ from its in_channels: it cannot predict noise "
                                "for its own samples")
    labels = net.checked_labels(class_labels, shape[0])
    program = net.program_for(shape if guidance is None else (guidance.passes_batch, *shape[1:]), tokens)
    if vae is not None:  # the loop's peak and the decoder's, both networks held: one line before any statement
        check_latent_fits(net.config, vae.config, shape[2], shape[3], shape[0], net.max_memory)
    decoder = None if vae is None else vae.program_for(DECODE, shape[0], shape[2] * vae.factor, shape[3] * vae.factor)
    watcher = RunWatcher(engine, shape, preview, on_event, on_step)
    try:
        loop(engine, program, scheduler, shape=shape, seed=seed, init_noise=init_noise, on_step=watcher.on_step,
             image=image, on_event=watcher.on_event, class_labels=labels, guidance=guidance)
        if vae is None:
            return engine.fetch_image(SAMPLE, shape)
        return decode(engine, vae, decoder, shape, *watcher.decoder_callbacks())
    finally:
        engine.drop(*relations(program, scheduler), *([] if decoder is None else decoded_relations(decoder)),
                    *([] if preview is None else preview.relations(shape)))


def decode(engine, vae: SQLAutoencoder, decoder, shape: tuple[int, int, int, int], on_statement=None,
           before=None) -> np.ndarray:
    """The pictures of the latents in SAMPLE, as diffusers' pipelines make them: the latents divided
    by the autoencoder's scaling_factor (plus its shift_factor, where it has one), then decoded by
    `decoder` (its program for this size): all in SQL, the latents never leaving the engine.
    `before` and `on_statement`: as SQLAutoencoder.execute's."""
    engine.create(LATENTS, latents_sql(engine.dialect, vae.config, shape[1]))
    return engine.fetch_image(vae.execute(decoder, on_statement, before), (shape[0], *decoder.output_shape))


def decoded_relations(decoder) -> list[str]:
    return [LATENTS, *(s.target for s in decoder.statements)]


def relations(program, scheduler: Scheduler) -> list[str]:
    """Every relation a run of `program` with `scheduler` may create."""
    return [*scheduler.relations(), SAMPLE, TIMESTEPS, CLASS_LABELS, NOISE, *GUIDANCE_RELATIONS,
            *(s.target for s in program.statements)]


def loop(engine, program, scheduler: Scheduler, shape: tuple[int, int, int, int], seed: int,
         init_noise: np.ndarray | None = None,
         on_step: Callable[[Step, Callable[[], np.ndarray]], None] | None = None,
         image: np.ndarray | None = None, begin: Callable[[], None] | None = None,
         on_event: Callable[[Event], None] | None = None, class_labels: Sequence[float] | None = None,
         guidance: Guidance | None = None) -> None:
    """The statements of a run, for any scheduler: a UNet pass at the pass's timestep (none where
    it is None: RePaint's undo steps), then the scheduler's step, for every pass of its plan;
    leaves the last sample in SAMPLE.

    Only create/drop/rename/execute reach the engine (put_image for a given x_T or picture,
    fetch_image when on_step peeks or on_event watches), so the same loop can be written out as a
    script (`exporters/psql.py`). `begin()`, if given, fills SAMPLE with x_T instead of `start`.
    `class_labels` (checked: `SQLUNet.checked_labels`) go to every pass of a class-conditional model.
    `guidance`: each pass runs on the unconditional and the conditional batch, and the scheduler steps
    with their guided combination (`guidance.py`).
    """
    began = time.perf_counter()
    scheduler.begin(engine)
    if begin is not None:
        begin()
    else:
        start(engine, shape, seed, init_noise, image, scheduler)
    for step, t in zip(scheduler.steps(), scheduler.timesteps):
        eps = None if t is None else model_pass(engine, program, t, shape, step, on_event, class_labels, guidance)
        noise = None
        if scheduler.adds_noise(step.index):
            noise = NOISE
            engine.create(NOISE, engine.dialect.gaussian_noise(shape, seed, stream=step.index + 1))
        scheduler.step(engine, step.index, eps, noise, shape[1], predict=on_event is not None)
        engine.drop(*(name for name in (eps, noise) if name is not None))
        if on_event:
            on_event(StepFinished(step, engine.fetch_image(SAMPLE, shape), engine.fetch_image(PREDICTION, shape),
                                  time.perf_counter() - began))
            engine.drop(PREDICTION)
        if on_step:
            on_step(step, lambda: engine.fetch_image(SAMPLE, shape))


def model_pass(engine, program, t: float, shape: tuple[int, int, int, int], step: Step,
               on_event: Callable[[Event], None] | None, class_labels, guidance: Guidance | None) -> str:
    """One UNet pass on SAMPLE at timestep `t`; the relation holding its (guided) prediction."""
    if guidance is None:
        return engine.execute(program, [t] * shape[0], *watching(step, on_event), class_labels=class_labels)
    guidance.double_sample(engine, shape[1])
    try:
        both = engine.execute(program, [t] * guidance.passes_batch, *watching(step, on_event))
    finally:
        guidance.restore_sample(engine)
    guided = guidance.combine(engine, both, shape[1])
    engine.drop(both)
    return guided


def watching(step: Step, on_event: Callable[[Event], None] | None) -> tuple:
    """engine.execute's statement callbacks (after, before) that report a pass's statements to `on_event`."""
    if on_event is None:
        return None, None
    return (lambda s, wall, cpu: on_event(StatementFinished(s, step, wall, cpu)),
            lambda s: on_event(StatementStarted(s, step)))


def start(engine, shape: tuple[int, int, int, int], seed: int, noise: np.ndarray | None = None,
          image: np.ndarray | None = None, scheduler: Scheduler | None = None) -> None:
    """SAMPLE at the first pass: the noise (SQL's, stream 0, or given) scaled to the scheduler's
    first sample or, given a clean picture, that picture noised to the first pass's level by it."""
    target = NOISE if image is not None else SAMPLE
    if noise is not None:
        engine.put_image(target, noise)
    else:
        engine.create(target, engine.dialect.gaussian_noise(shape, seed, stream=0))
    if image is not None:
        engine.put_image(IMAGE, image)
        engine.create(COEFFICIENTS, scheduler.start_sql())
        engine.create(SAMPLE, noised(engine.dialect, IMAGE, NOISE, COEFFICIENTS, shape[1]))
        engine.drop(IMAGE, NOISE, COEFFICIENTS)
    elif scheduler is not None and (scale := scheduler.init_scale_sql()) is not None:
        engine.create(COEFFICIENTS, scale)
        engine.create(NEXT, engine.dialect.pixelwise(shape[1], lambda x: f"c.sa * {x}", [SAMPLE], COEFFICIENTS))
        engine.rename(NEXT, SAMPLE)
        engine.drop(COEFFICIENTS)
