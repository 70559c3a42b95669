"""`SQLStableDiffusionPipeline`: a prompt becomes a picture, as diffusers' `StableDiffusionPipeline` makes it,
with every tensor operation in the engine.

>>> pipe = SQLStableDiffusionPipeline.from_pretrained("path/to/stable-diffusion-folder")
>>> image = pipe("a butterfly on a leaf", num_inference_steps=8, height=256, width=256, seed=0).images[0]

Python tokenizes the prompts (transformers' CLIPTokenizer, as diffusers' pipelines do) and orders the
statements. The engine runs the text encoder on the distinct token rows once, lays its output out as the
UNet's text relation (the unconditional half first where guidance asks for it), then runs the latent loop
with classifier-free guidance (`guidance.py`) and decodes the final latents with the autoencoder. The
safety checker and feature extractor of a pipeline folder are not run (diffusers allows
`safety_checker=None`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .backends import DEFAULT as DEFAULT_ENGINE
from .editing import SQLImg2ImgPipeline, strength_scheduler
from .errors import SQLDiffusionError
from .events import Event, StatementFinished, StatementStarted, Step
from .guidance import Guidance, guided
from .latent_editing import latent_img2img
from .model import Model, load_model
from .pipeline import (
    OUTPUT_TYPES,
    ImagePipelineOutput,
    SQLDiffusionPipeline,
    advancing,
    autoencoder_of,
    denoise,
    images_of,
    resolve_seed,
    sample_size,
)
from .preflight import check_latent_fits
from .program import TEXT
from .sql_text_encoder import SQLTextEncoder
from .sql_unet import SQLUNet
from .tokenizer import PromptTokenizer

log = logging.getLogger(__name__)
DEFAULT_GUIDANCE = 7.5  # diffusers' StableDiffusionPipeline's guidance_scale
ENCODED = ("sqld_encoded_unconditional", "sqld_encoded_prompts")  # the encoder's output per distinct token row


class SQLStableDiffusionPipeline(SQLDiffusionPipeline):
    """A text-to-image pipeline folder (unet, vae, text_encoder, tokenizer, scheduler) run in SQL."""

    def __init__(self, unet: SQLUNet, text_encoder: SQLTextEncoder, tokenizer: PromptTokenizer, scheduler=None,
                 vae=None, preview_vae=None) -> None:
        super().__init__(unet, scheduler, vae, preview_vae)
        self.text_encoder = text_encoder
        self.tokenizer = tokenizer

    @classmethod
    def from_pretrained(cls, model: str | Path | Model, engine: str = DEFAULT_ENGINE, database: str | None = None,
                        max_memory: int | None = None) -> "SQLStableDiffusionPipeline":
        """Load a text-to-image pipeline folder (or Hub id) and import its three networks into the engine."""
        loaded = model if isinstance(model, Model) else load_model(model)
        if loaded.text_encoder is None:
            raise SQLDiffusionError(f"{loaded.name} takes no prompt (its pipeline folder has no text_encoder); "
                                    "use SQLDiffusionPipeline")
        net = SQLUNet(loaded, engine, database, max_memory=max_memory)
        text_encoder = SQLTextEncoder(loaded.text_encoder, net.engine)
        for component in loaded.not_run:
            log.info("%s: its %s is not run (as diffusers' safety_checker=None)", loaded.name, component)
        return cls(net, text_encoder, PromptTokenizer(loaded.tokenizer), vae=autoencoder_of(loaded, net))

    def __call__(self, prompt: str | Sequence[str], negative_prompt: str | Sequence[str] | None = None,
                 guidance_scale: float = DEFAULT_GUIDANCE, guidance_rescale: float = 0.0,
                 num_inference_steps: int | None = None, timesteps: Sequence[int] | None = None,
                 height: int | None = None, width: int | None = None, num_images_per_prompt: int = 1,
                 seed: int | None = None, generator=None, latents: np.ndarray | None = None,
                 sampler: str | None = None, eta: float = 0.0, add_noise: bool = True,
                 use_karras_sigmas: bool | None = None, clip_skip: int | None = None, preview_vae=None,
                 output_type: str = "pil",
                 callback: Callable[[Step, Callable[[], np.ndarray]], None] | None = None,
                 on_event: Callable[[Event], None] | None = None, return_dict: bool = True):
        """Draw `num_images_per_prompt` pictures of each prompt. As diffusers' pipeline: guidance
        when `guidance_scale` > 1 (the negative prompt, "" by default, is the unconditional text),
        `guidance_rescale`, `clip_skip`, `height`/`width` (by default the UNet's sample size times the
        autoencoder's factor), `latents` (the initial latents, (B, C, h, w)). The noise is SQL's,
        seeded by `seed` or `generator`; `sampler` and the options after it, `preview_vae`, `callback`
        and `on_event` as SQLDiffusionPipeline's. `on_event` also gets the text encoder's statements
        (network "text_encoder", reported with the first step, whose pass first reads its output).
        """
        check_output_type(output_type)
        batch, guidance, groups = texts_of(prompt, negative_prompt, num_images_per_prompt, guidance_scale,
                                           guidance_rescale, clip_skip)
        scheduler = self.run_scheduler(sampler, eta, add_noise, use_karras_sigmas)
        if num_inference_steps is None and timesteps is None:
            num_inference_steps = scheduler.pipeline_steps
        scheduler.set_timesteps(None if timesteps is not None else num_inference_steps, timesteps)
        seed = resolve_seed(seed, generator)
        size = sample_size(self.unet.config, self.vae.factor if self.vae is not None else 1, height, width)
        preview = self.preview(preview_vae)
        if latents is not None and (np.ndim(latents) != 4 or len(latents) != batch):
            raise SQLDiffusionError(f"latents have shape {list(np.shape(latents))}; give ({batch}, "
                                    f"{self.unet.config.in_channels}, h, w): one x_T per picture")
        vae = None if output_type == "latent" else self.vae
        self.check_fits(size, batch, guidance)
        try:
            self.encode_prompts(groups, *text_callbacks(on_event, scheduler.steps()[0]))
            with self.progress_bar(len(scheduler.timesteps)) as bar:
                samples = denoise(self.unet, scheduler, batch=batch, seed=seed, init_noise=latents, size=size,
                                  on_step=advancing(bar, callback), on_event=on_event, vae=vae, guidance=guidance,
                                  tokens=self.tokenizer.model_max_length, preview=preview)
        finally:
            self.unet.engine.drop(TEXT, *ENCODED)
        images = images_of(samples, output_type)
        return ImagePipelineOutput(images) if return_dict else (images,)

    def check_fits(self, size: tuple[int, int], batch: int, guidance: Guidance | None) -> None:
        """The three networks' weights, the text encoder's pass, the UNet's (on the doubled batch where
        guided) and the decoder's must fit in memory: one line before any statement runs if not."""
        if self.vae is not None:
            check_latent_fits(self.unet.config, self.vae.config, *size, batch, self.unet.max_memory,
                              text_encoder=self.text_encoder.config, tokens=self.tokenizer.model_max_length,
                              passes_batch=guidance.passes_batch if guidance is not None else batch)

    def encode_prompts(self, groups: list[tuple[list[str], int | None]], on_statement=None, before=None) -> None:
        """The UNet's text relation: item b the encoding of the b-th text of the groups in order (the
        unconditional texts, then the prompts), each group encoded with its clip_skip. Each distinct
        text is encoded once (every picture's negative prompt is usually the same). `on_statement`,
        `before`: as SQLTextEncoder.encode_into's, for each pass."""
        engine = self.unet.engine
        spreads, first = [], 0
        tokenized = [self.tokenizer(texts) for texts, _ in groups]  # every text checked before any statement runs
        for ids, (texts, clip_skip), encoded in zip(tokenized, groups, ENCODED[-len(groups):]):
            distinct, index = np.unique(ids, axis=0, return_inverse=True)
            engine.rename(self.text_encoder.encode_into(distinct, clip_skip, on_statement, before), encoded)
            spreads.append(spread_sql(engine.dialect, encoded, np.ravel(index), self.text_encoder.hidden_size, first))
            first += len(texts)
        engine.create(TEXT, "\nUNION ALL\n".join(spreads))
        engine.drop(*ENCODED)


class SQLStableDiffusionImg2ImgPipeline(SQLStableDiffusionPipeline):
    """Text-guided image-to-image, as diffusers' StableDiffusionImg2ImgPipeline: the picture encoded in
    SQL, noised to the strength's first timestep, denoised with the prompt's guidance, decoded."""

    prepare = SQLImg2ImgPipeline.prepare  # the picture(s) at the size asked, in [-1, 1]

    def __call__(self, prompt: str | Sequence[str], image, strength: float = 0.8,
                 negative_prompt: str | Sequence[str] | None = None, guidance_scale: float = DEFAULT_GUIDANCE,
                 guidance_rescale: float = 0.0, num_inference_steps: int | None = 50,
                 timesteps: Sequence[int] | None = None, height: int | None = None, width: int | None = None,
                 num_images_per_prompt: int = 1, seed: int | None = None, generator=None,
                 noise: np.ndarray | None = None, sampler: str | None = None, eta: float = 0.0,
                 add_noise: bool = True, clip_skip: int | None = None, sample_mode: str = "sample",
                 output_type: str = "pil", callback: Callable[[Step, Callable[[], np.ndarray]], None] | None = None,
                 on_event: Callable[[Event], None] | None = None, return_dict: bool = True):
        """Redraw `image` (a file name, a PIL image, or a float32 (C, H, W) / (B, C, H, W) array in
        [-1, 1]) after the prompt: the arguments as SQLStableDiffusionPipeline's and
        SQLImg2ImgPipeline's (`strength`, `noise`, `sample_mode`)."""
        check_output_type(output_type)
        batch, guidance, groups = texts_of(prompt, negative_prompt, num_images_per_prompt, guidance_scale,
                                           guidance_rescale, clip_skip)
        scheduler = strength_scheduler(self.run_scheduler(sampler, eta, add_noise), strength, num_inference_steps,
                                       timesteps)
        pictures = self.prepare(image, height, width)
        if len(pictures) not in (1, batch):
            raise SQLDiffusionError(f"{len(pictures)} pictures for {batch} images; give one, or one per image")
        seed = resolve_seed(seed, generator)
        self.check_fits((pictures.shape[2] // self.vae.factor, pictures.shape[3] // self.vae.factor), batch, guidance)
        try:
            self.encode_prompts(groups, *text_callbacks(on_event, scheduler.steps()[0]))
            with self.progress_bar(len(scheduler.timesteps)) as bar:
                samples = latent_img2img(self.unet, self.vae, scheduler, pictures, batch, seed, noise, sample_mode,
                                         on_step=advancing(bar, callback), on_event=on_event,
                                         decoded=output_type != "latent", guidance=guidance,
                                         tokens=self.tokenizer.model_max_length)
        finally:
            self.unet.engine.drop(TEXT, *ENCODED)
        images = images_of(samples, output_type)
        return ImagePipelineOutput(images) if return_dict else (images,)


def check_output_type(output_type: str) -> None:
    if output_type not in OUTPUT_TYPES:
        raise SQLDiffusionError(f"output_type {output_type!r}: use 'pil', 'np', 'array' or 'latent'")


def texts_of(prompt, negative_prompt, num_images_per_prompt, guidance_scale, guidance_rescale, clip_skip):
    """A call's batch, its guidance (None where the scale asks for none), and the texts to encode in
    groups of (texts, clip_skip): the unconditional ones first where guided (diffusers encodes them
    without clip_skip), then the prompts, each repeated for its pictures."""
    prompts = prompt_list(prompt, "prompt")
    if not isinstance(num_images_per_prompt, int) or isinstance(num_images_per_prompt, bool) \
            or num_images_per_prompt < 1:
        raise SQLDiffusionError(f"num_images_per_prompt is {num_images_per_prompt!r}; give a whole number >= 1")
    negatives = negative_list(negative_prompt, len(prompts))
    batch = len(prompts) * num_images_per_prompt
    checked = Guidance(guidance_scale, batch, guidance_rescale)
    guidance = checked if guided(guidance_scale) else None
    groups = [([p for p in prompts for _ in range(num_images_per_prompt)], clip_skip)]
    if guidance is not None:
        groups.insert(0, ([n for n in negatives for _ in range(num_images_per_prompt)], None))
    return batch, guidance, groups


def text_callbacks(on_event: Callable[[Event], None] | None, step: Step) -> tuple:
    """SQLTextEncoder.encode_into's (on_statement, before) callbacks reporting its statements to
    `on_event` as network "text_encoder" at `step` ((None, None) where nobody listens)."""
    if on_event is None:
        return None, None

    def after(statement, wall: float, cpu: float) -> None:
        on_event(StatementFinished(statement, step, wall, cpu, network="text_encoder"))

    def before(statement) -> None:
        on_event(StatementStarted(statement, step, network="text_encoder"))
    return after, before


def spread_sql(dialect, encoded: str, index: Sequence[int], width: int, first: int = 0) -> str:
    """Item first + b of the batch is the encoding of distinct row index[b]."""
    rows = ", ".join(f"({first + b}, {int(i)})" for b, i in enumerate(index))
    return (f"SELECT {dialect.cast('m.b', 'INTEGER')} AS b, e.y, e.x, {dialect.channels('e', width)}\n"
            f"FROM {encoded} e JOIN (VALUES {rows}) AS m(b, source) ON e.b = m.source")


def prompt_list(prompt, what: str) -> list[str]:
    """One prompt or a list of them, each a string."""
    prompts = [prompt] if isinstance(prompt, str) else list(prompt) if isinstance(prompt, (list, tuple)) else None
    if not prompts or any(not isinstance(p, str) for p in prompts):
        raise SQLDiffusionError(f"{what} must be a string or a non-empty list of strings")
    return prompts


def negative_list(negative_prompt, count: int) -> list[str]:
    """The unconditional texts: "" for each prompt by default, as diffusers' pipeline; one for all, or one each."""
    if negative_prompt is None:
        return [""] * count
    negatives = prompt_list(negative_prompt, "negative_prompt")
    if len(negatives) == 1:
        return negatives * count
    if len(negatives) != count:
        raise SQLDiffusionError(f"{len(negatives)} negative prompts for {count} prompts; give one, or one per prompt")
    return negatives
