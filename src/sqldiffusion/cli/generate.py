"""`generate` and `edit`: pictures from noise, or from a picture, through a sampler's plan."""

from __future__ import annotations

import time
from pathlib import Path

import click
import numpy as np

from ..backends import BACKENDS
from ..errors import SQLDiffusionError, first_line
from .group import cli
from .options import (
    NPY_LIMIT,
    class_labels_of,
    declared_options,
    read_init_noise,
    recipe_of,
    sampling_options,
    saying,
    where,
)
from .writing import check_outputs, gif_peak_bytes, keeping_last, keeping_pairs, show_and_write


@cli.command()
@sampling_options
@click.option("--from-png", "from_png", type=click.Path(path_type=Path),  # what it is: read_png's one line
              help="Draw the pictures a PNG that generate wrote carries the settings of, again (the options given "
                   "here win).")
def generate(from_png, **options) -> None:
    """Generate images: the UNet, the sampler and the noise all run in SQL."""
    if from_png is not None:
        return _from_png(from_png)
    _sample(**options)


def _from_png(path: Path) -> None:
    """generate --from-png: the picture's settings become the options not given on the command line,
    parsed by generate's own options (so checked as typed ones are); the picture's model must be
    the one found here, by digest, unless --model is given."""
    from click.core import ParameterSource

    from .. import provenance

    ctx = click.get_current_context()
    given = {name for name in ctx.params if name != "from_png" and
             ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)}
    settings = provenance.read_png(path)
    if settings["command"] != "generate":
        raise SQLDiffusionError(f"--from-png {path}: the picture was made by sqldiffusion {settings['command']}, not "
                                f"generate; run {settings['command']} again with the settings its 'parameters' text "
                                "chunk shows")
    engine_params = {"engine", "max_memory"} | {option.dest for option, _ in declared_options().values()}
    args = provenance.arguments(settings, given, engine_params, BACKENDS)
    try:
        parsed = generate.make_context("generate", args, parent=ctx.parent).params
    except click.ClickException as e:
        raise SQLDiffusionError(f"--from-png {path}: its settings do not make options generate takes "
                                f"({first_line(e.format_message())})") from None
    options = {name: ctx.params[name] if name in given else parsed[name] for name in ctx.params}
    if "model" not in given:
        options["model"] = _model_of_picture(path, settings)
    elif options["model"] != settings["model"]:
        click.echo(f"drawing with --model {options['model']}; the picture was drawn with {settings['model']}", err=True)
    if settings.get("init_noise_sha256") and "init_noise" not in given:
        raise SQLDiffusionError(f"--from-png {path}: the picture was drawn from --init-noise (a file whose sha256 is "
                                f"{settings['init_noise_sha256'][:16]}...); give that file with --init-noise")
    options["from_png"] = None
    ctx.invoke(generate.callback, **options)


def _model_of_picture(path: Path, settings: dict):
    """The model a picture names, loaded, if it is here (never fetched from the Hub on a picture's
    word) and has the picture's digest; one line otherwise."""
    from .. import provenance
    from ..model import load_model

    name, digest = settings["model"], settings["model_digest"]
    if provenance.hub_id(name):
        raise SQLDiffusionError(f"--from-png {path}: the picture names the Hub model {name}, which a picture alone "
                                f"does not fetch; pass --model {name} to fetch and use it")
    try:
        loaded = load_model(name)
    except SQLDiffusionError as e:
        raise SQLDiffusionError(f"--from-png {path}: the picture's model {name} cannot be loaded here ({e}); pass "
                                f"--model with the model whose digest is {digest[:16]}...") from None
    if loaded.digest != digest:
        raise SQLDiffusionError(f"--from-png {path}: the picture was drawn by a model {name} "
                                f"of digest {digest[:16]}..., "
                                f"but {name} here has digest {loaded.digest[:16]}...; nothing drawn (pass --model to "
                                "draw with another model anyway)")
    return loaded


@cli.command()
@click.option("--image", "-i", "image", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The picture to redraw (resized to the model's size).")
@click.option("--strength", default=0.8, show_default=True, type=float,
              help="How much to redraw, in (0, 1]: of the N planned steps the last int(N * strength).")
@sampling_options
def edit(image, strength, **options) -> None:
    """Image-to-image: noise a picture part of the way (in SQL) and denoise it from there.

    --init-noise gives the noise that noises the picture; --batch N makes N versions of it.
    """
    _sample(**options, image=image, strength=strength)


def _sample(model, vae, engine, database, max_memory, steps, timestep_list, sampler, blog, eta, karras, no_noise, seed,
            class_label, batch, out, gif, show_ascii, colour, init_noise, save_npy, save_latents,
            quiet, force, image=None,
            strength=None, height=None, width=None, preview_vae=None, prompt=None, negative_prompt=None,
            guidance_scale=None, guidance_rescale=None, clip_skip=None) -> None:
    from .. import pictures, provenance
    from ..editing import SQLImg2ImgPipeline, strength_scheduler
    from ..model import Model, load_model
    from ..outputs import check_distinct, check_output
    from ..pipeline import SQLDiffusionPipeline, autoencoder_of
    from ..preflight import check_fits
    from ..schedulers import sampler_of_config
    from ..sql_unet import SQLUNet

    loaded = model if isinstance(model, Model) else load_model(model)  # --from-png loads it to check its digest
    loaded = with_autoencoder(loaded, vae)
    text = check_text_options(loaded, prompt, negative_prompt, guidance_scale, guidance_rescale, clip_skip)
    previewer = preview_autoencoder(loaded, preview_vae)
    recipe = recipe_of(sampler, steps, timestep_list, karras, blog, eta, no_noise, editing=image is not None,
                     configured=sampler_of_config(loaded.scheduler_config)[0])
    scheduler = recipe.scheduler(loaded.scheduler_config)  # its options checked
    check_latent_options(loaded, image, gif, save_latents)
    labels = class_labels_of(class_label, loaded.config)
    sized_edit = image is not None and (height, width) == (None, None)  # noise of the model's own size
    x_t = read_init_noise(init_noise, loaded.config, editing=sized_edit) if init_noise else None
    if x_t is not None:
        held = len(x_t)
        if batch is not None and batch != held:
            raise SQLDiffusionError(f"--batch {batch} but --init-noise {init_noise} holds {held} image(s); "
                                    "drop --batch (the batch is the file's) or give a file of that many")
        batch = held
    batch = 1 if batch is None else batch
    if batch < 1:
        raise SQLDiffusionError(f"--batch {batch}: make at least one image")
    out, gif, save_npy, settings_json = check_outputs(out, gif, save_npy, force)
    if save_latents is not None:
        save_latents = check_output(save_latents, "npy", force, "--save-latents")
        check_distinct(("--save-latents", save_latents),
                       *((o, p) for o, p in (("--out", out), ("--save-npy", save_npy))))
    say = saying(quiet)
    size = sized(loaded, x_t, height, width, init_noise)
    check_fits(loaded.config, *size, batch, max_memory)  # before the engine starts
    size = check_decoder_fits(loaded, size, batch, max_memory)  # the pictures' size
    if previewer is not None:
        check_fits(previewer.config, *size, batch, max_memory)
    recipe.plan(scheduler)
    run = scheduler if image is None else strength_scheduler(scheduler, strength, **recipe.call_arguments())
    if gif is not None:  # and with the GIF's frames, now that the plan says how many
        passes = len(run.timesteps)  # a latent model's last frame is its decode
        extra = x_t is not None or image is not None or loaded.autoencoder is not None
        check_fits(loaded.config, *size, batch, max_memory, trajectory=gif_peak_bytes(
            passes + extra, batch, loaded.config.in_channels, *size, pairs=True))
    picture = None
    if image is not None:  # a latent model's pictures: its autoencoder's channels, at the decoded size
        channels = (loaded.autoencoder or loaded).config.in_channels
        picture, notes = pictures.load_picture(image, channels, size, "--image")
        for note in notes:
            say(note)
    say(f"loading {loaded.name} into {where(engine, database)}")
    net = SQLUNet(loaded, engine, database, max_memory=max_memory)
    made = provenance.record(
        "generate" if image is None else "edit", model=loaded.name, digest=loaded.digest, engine=engine, size=size,
        autoencoder_digest=loaded.autoencoder.digest if loaded.autoencoder is not None else None,
        text_encoder_digest=loaded.text_encoder.digest if loaded.text_encoder is not None else None, **text,
        batch=batch, seed=seed, sampler=recipe.sampler, karras=recipe.karras, eta=recipe.eta, noise=recipe.add_noise,
        clip_sample=scheduler.schedule.clip_sample, steps=recipe.steps,
        timesteps=None if recipe.timesteps is None else list(recipe.timesteps), class_labels=labels, strength=strength,
        init_noise_sha256=provenance.file_sha256(init_noise, NPY_LIMIT, "--init-noise") if x_t is not None else None,
        image_sha256=provenance.file_sha256(image, pictures.MAX_PICTURE_BYTES, "--image")
                     if image is not None else None)
    frames: list[np.ndarray] = []
    began = time.perf_counter()
    latents: list[np.ndarray] = []
    common = dict(**recipe.call_arguments(), seed=seed, class_labels=labels, output_type="array",
                  on_event=keeping_pairs(frames) if gif is not None else None,
                  callback=keeping_last(latents) if save_latents is not None else None)
    if text:
        pipe = text_pipeline(loaded, net, scheduler, preview_of(previewer, net), img2img=picture is not None)
    elif picture is None:
        pipe = SQLDiffusionPipeline(net, scheduler, autoencoder_of(loaded, net), preview_of(previewer, net))
    else:
        pipe = SQLImg2ImgPipeline(net, scheduler, autoencoder_of(loaded, net))
    pipe.set_progress_bar_config(disable=True if quiet else None)
    if text:
        del common["class_labels"]
        given = dict(latents=x_t, height=height, width=width) if picture is None else \
            dict(image=picture, strength=strength, noise=x_t, sampler=None)
        samples = pipe(**text, num_images_per_prompt=batch, **given, **common).images
    elif picture is None:
        samples = pipe(batch_size=batch, init_noise=x_t, height=height, width=width, **common).images
    else:
        samples = pipe(image=picture, strength=strength, batch_size=batch, noise=x_t, sampler=None, **common).images
    elapsed = time.perf_counter() - began
    start = x_t if picture is None else np.repeat(picture, batch, axis=0)  # where the trajectory starts
    first = (start, None) if start is not None else None
    if loaded.autoencoder is not None and gif is not None:  # its steps' previews, then the decoded picture
        first = None
        frames.append((samples, samples))
    show_and_write(samples, frames, first, out, gif, save_npy, show_ascii, colour, made, settings_json,
                   latents=(save_latents, latents[-1]) if latents else None)
    written = ", ".join(str(p) for p in (out, gif, save_npy, save_latents) if p is not None)
    say(f"{len(samples)} image(s), {len(run.planned)} steps, {elapsed:.1f} s in SQL; wrote {written}")


def check_text_options(loaded, prompt, negative_prompt, guidance_scale, guidance_rescale, clip_skip) -> dict:
    """A text-to-image model's call arguments from the text options (its prompt is required; the
    guidance checked here, the prompts by the tokenizer); one line where a model without text is given any."""
    from ..guidance import check_guidance
    from ..text_pipeline import DEFAULT_GUIDANCE
    from ..tokenizer import checked_prompt

    given = {"--prompt": prompt, "--negative-prompt": negative_prompt, "--guidance-scale": guidance_scale,
             "--guidance-rescale": guidance_rescale, "--clip-skip": clip_skip}
    if loaded.text_encoder is None and "encoder_hidden_states" in loaded.network.reads:
        raise SQLDiffusionError(f"{loaded.name}: its {loaded.network.class_name} reads a prompt's encoding; give the "
                                "pipeline folder that holds it beside its text_encoder and tokenizer")
    if loaded.text_encoder is None:
        named = [option for option, value in given.items() if value is not None]
        if named:
            raise SQLDiffusionError(f"{named[0]} applies to text-to-image models (a pipeline folder with a "
                                    f"text_encoder); {loaded.name} takes no prompt")
        return {}
    if prompt is None:
        raise SQLDiffusionError(f"{loaded.name} draws a prompt: give --prompt \"...\" (--prompt \"\" for none)")
    checked_prompt(prompt, "--prompt")
    if negative_prompt is not None:
        checked_prompt(negative_prompt, "--negative-prompt")
    scale = DEFAULT_GUIDANCE if guidance_scale is None else guidance_scale
    check_guidance(scale, guidance_rescale or 0.0)
    return {"prompt": prompt, "negative_prompt": negative_prompt, "guidance_scale": scale,
            "guidance_rescale": guidance_rescale or 0.0, "clip_skip": clip_skip}


def text_pipeline(loaded, net, scheduler, previewer, img2img: bool = False):
    """The text-to-image (or text-guided image-to-image) pipeline of a loaded text model, on the
    UNet's engine."""
    from ..pipeline import autoencoder_of
    from ..sql_text_encoder import SQLTextEncoder
    from ..text_pipeline import SQLStableDiffusionImg2ImgPipeline, SQLStableDiffusionPipeline
    from ..tokenizer import PromptTokenizer

    kind = SQLStableDiffusionImg2ImgPipeline if img2img else SQLStableDiffusionPipeline
    return kind(net, SQLTextEncoder(loaded.text_encoder, net.engine),
                PromptTokenizer(loaded.tokenizer), scheduler, autoencoder_of(loaded, net), previewer)


def sized(loaded, x_t, height, width, init_noise) -> tuple[int, int]:
    """The UNet's samples' size: --height and --width (the pictures'; for a latent model over its
    autoencoder's factor), or --init-noise's, or the model's own; one line where they disagree."""
    from ..pipeline import sample_size

    factor = loaded.autoencoder.config.factor if loaded.autoencoder is not None else 1
    size = sample_size(loaded.config, factor, height, width)
    if x_t is None:
        return size
    if (height, width) != (None, None) and tuple(x_t.shape[-2:]) != size:
        raise SQLDiffusionError(f"--init-noise {init_noise} is {x_t.shape[-2]}x{x_t.shape[-1]}, but --height and "
                                f"--width ask for samples of {size[0]}x{size[1]}; give one or the other")
    return tuple(x_t.shape[-2:]) if (height, width) == (None, None) else size


def check_latent_options(loaded, image, gif, save_latents) -> None:
    """What a latent model (a pipeline folder with an autoencoder) does not do yet, or a pixel model
    has no use for: one line each, before anything runs."""
    if loaded.autoencoder is None:
        if save_latents is not None:
            raise SQLDiffusionError("--save-latents applies to latent models (a pipeline folder with a vae or vqvae); "
                                    "this model's samples are its pictures: use --save-npy")
        return


def preview_autoencoder(loaded, preview_vae: str | None):
    """The autoencoder --preview-vae names, loaded and checked against the model (one line for a
    pixel model, or one of another latent space or size), or None."""
    from ..model import load_autoencoder
    from ..preview import check_preview_fits

    if preview_vae is None:
        return None
    if loaded.autoencoder is None:
        raise SQLDiffusionError(f"--preview-vae applies to latent models (a pipeline folder with a vae or vqvae); "
                                f"{loaded.name}'s samples are its pictures")
    previewer = load_autoencoder(preview_vae)
    try:
        check_preview_fits(loaded.autoencoder, previewer)
    except SQLDiffusionError as e:
        raise SQLDiffusionError(f"--preview-vae {preview_vae}: {e}") from None
    return previewer


def preview_of(previewer, net):
    """The preview autoencoder imported into the UNet's engine (None stays None)."""
    from ..sql_autoencoder import SQLAutoencoder

    return None if previewer is None else SQLAutoencoder(previewer, net.engine, max_memory=net.max_memory)


def check_decoder_fits(loaded, size: tuple[int, int], batch: int, max_memory) -> tuple[int, int]:
    """The size of the pictures of samples of `size`: decoded by a latent model's autoencoder (whose
    decode must fit in memory: refused in one line before the engine starts), else the samples'."""
    from ..preflight import check_latent_fits

    if loaded.autoencoder is None:
        return tuple(size)
    factor = loaded.autoencoder.config.factor
    text = {} if loaded.text_encoder is None else \
        dict(text_encoder=loaded.text_encoder.config, passes_batch=2 * batch)  # guided, at the default scale
    check_latent_fits(loaded.config, loaded.autoencoder.config, *size, batch, max_memory, **text)  # all held
    return size[0] * factor, size[1] * factor


def with_autoencoder(loaded, vae: str | None):
    """The model, decoding with the autoencoder --vae names instead of its own (refused in one line
    for a pixel model, or one whose latents are not the UNet's samples)."""
    import dataclasses

    from ..model import load_autoencoder

    if vae is None:
        return loaded
    if loaded.autoencoder is None:
        raise SQLDiffusionError(f"--vae applies to latent models (a pipeline folder with a vae or vqvae); "
                                f"{loaded.name}'s samples are its pictures")
    swapped = load_autoencoder(vae)
    if swapped.config.embed_dim != loaded.config.in_channels:
        raise SQLDiffusionError(f"--vae {vae}: its latents have {swapped.config.embed_dim} channels, but the UNet's "
                                f"samples have {loaded.config.in_channels}; give an autoencoder of this model's latent "
                                "space")
    return dataclasses.replace(loaded, autoencoder=swapped)
