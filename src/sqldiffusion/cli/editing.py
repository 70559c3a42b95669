"""`inpaint`, `invert` and `interpolate`: RePaint, DDIM inversion and morphs, all in SQL."""

from __future__ import annotations

import time
from pathlib import Path

import click
import numpy as np

from ..errors import SQLDiffusionError
from .group import cli
from .options import SEED, engine_options, force_option, saying, where
from .writing import check_outputs, gif_peak_bytes, keeping, save_gif, show_and_write, write_all, write_settings


@cli.command()
@click.option("--image", "-i", "image", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The picture to fill in (resized to the model's size).")
@click.option("--mask", "mask", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A picture of the same size: white where to fill in, black where to keep.")
@click.option("--steps", default=25, show_default=True, type=click.IntRange(min=1),
              help="RePaint's steps down (diffusers' RePaintPipeline: 250).")
@click.option("--jump-length", default=5, show_default=True, type=click.IntRange(min=1),
              help="Steps back up in each jump (RePaintPipeline: 10).")
@click.option("--jump-n-sample", default=5, show_default=True, type=click.IntRange(min=1),
              help="Times each stretch is resampled (RePaintPipeline: 10).")
@click.option("--eta", default=0.0, show_default=True, type=float, help="Noise of the fill-in steps, 0 to 1.")
@click.option("--sampler", help="Latent models: the sampler (as generate's) [default: the model's scheduler].")
@click.option("--strength", default=1.0, show_default=True, type=float,
              help="Latent models: 1 fills in from noise; below 1, from the picture noised part of the way.")
@click.option("--model", "-m", default="demo", show_default=True, help="'demo', a model folder or a Hub id.")
@engine_options
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the SQL noise.")
@click.option("--batch", default=1, show_default=True, type=click.IntRange(min=1), help="Versions to make.")
@click.option("--out", "out", default="sqldiffusion.png", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Picture to write (a grid when --batch > 1).")
@click.option("--gif", type=click.Path(dir_okay=False, path_type=Path), help="GIF of the whole RePaint trajectory.")
@click.option("--ascii/--no-ascii", "show_ascii", default=None,
              help="Print the picture as ASCII, or not at all [default: colour where the terminal shows it].")
@click.option("--color", "--colour", "colour", is_flag=True, help="Print true-colour half-block art.")
@click.option("--save-npy", type=click.Path(dir_okay=False, path_type=Path), help="Write the final sample (.npy).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or messages.")
@force_option
def inpaint(image, mask, steps, jump_length, jump_n_sample, eta, sampler, strength, model, engine, database,
            max_memory, seed, batch, out, gif, show_ascii, colour, save_npy, quiet, force) -> None:
    """Inpainting by RePaint: fill in the white part of the mask, keep the rest of the picture.

    Every UNet pass, step, re-noising jump and blend with the kept pixels runs in SQL. A latent
    model inpaints in its latent space as diffusers' StableDiffusionInpaintPipeline does (with
    --sampler and --strength; no jumps).
    """
    from ..model import load_model

    loaded = load_model(model).untexted("inpaint")
    if loaded.autoencoder is not None:
        return latent_inpaint(loaded, image, mask, steps, eta, sampler, strength, engine, database, max_memory, seed,
                              batch, out, gif, show_ascii, colour, save_npy, quiet, force)
    if sampler is not None or strength != 1:
        raise SQLDiffusionError("--sampler and --strength are for latent models; a pixel model inpaints by RePaint "
                                "(--steps, --jump-length, --jump-n-sample)")
    _repaint(image, mask, steps, jump_length, jump_n_sample, eta, loaded, engine, database, max_memory, seed, batch,
             out, gif, show_ascii, colour, save_npy, quiet, force)


def _repaint(image, mask, steps, jump_length, jump_n_sample, eta, loaded, engine, database, max_memory, seed,
             batch, out, gif, show_ascii, colour, save_npy, quiet, force) -> None:
    """inpaint of a pixel model: RePaint."""
    from .. import provenance
    from ..editing import SQLInpaintPipeline
    from ..pictures import MAX_PICTURE_BYTES, load_mask, load_picture
    from ..pipeline import image_size
    from ..preflight import check_fits
    from ..schedulers import RePaintScheduler
    from ..sql_unet import SQLUNet

    out, gif, save_npy, settings_json = check_outputs(out, gif, save_npy, force)
    say = saying(quiet)
    model = loaded.name
    scheduler = RePaintScheduler.from_config(loaded.scheduler_config, eta=eta)
    scheduler.set_timesteps(steps, jump_length, jump_n_sample)  # refused unbuilt if too long
    visited = scheduler.planned
    size, channels = image_size(loaded.config), loaded.config.in_channels
    # before the engine starts; with --gif, its frames too: the picture, then every step's sample
    trajectory = gif_peak_bytes(len(visited) + 1, batch, channels, *size, pairs=False) if gif is not None else 0
    check_fits(loaded.config, *size, batch, max_memory, trajectory=trajectory)
    picture, notes, original = load_picture(image, channels, size, "--image", with_size=True)
    fill = load_mask(mask, channels, size, original, "--mask")
    for note in notes:
        say(note)
    say(f"loading {model} into {where(engine, database)}; {len(visited)} steps")
    pipe = SQLInpaintPipeline(SQLUNet(loaded, engine, database, max_memory=max_memory))
    made = provenance.record("inpaint", model=loaded.name, digest=loaded.digest, engine=engine, size=size, batch=batch,
                             seed=seed, sampler="repaint", eta=eta, steps=steps, jump_length=jump_length,
                             jump_n_sample=jump_n_sample,
                             image_sha256=provenance.file_sha256(image, MAX_PICTURE_BYTES, "--image"),
                             mask_sha256=provenance.file_sha256(mask, MAX_PICTURE_BYTES, "--mask"))
    pipe.set_progress_bar_config(disable=True if quiet else None)
    frames: list[np.ndarray] = []
    began = time.perf_counter()
    samples = pipe(image=picture, mask_image=fill, num_inference_steps=steps, jump_length=jump_length,
                   jump_n_sample=jump_n_sample, eta=eta, batch_size=batch, seed=seed, output_type="latent",
                   callback=keeping(frames) if gif is not None else None).images
    elapsed = time.perf_counter() - began
    show_and_write(samples, frames, np.repeat(picture, batch, axis=0), out, gif, save_npy, show_ascii, colour, made,
                    settings_json)
    written = ", ".join(str(p) for p in (out, gif, save_npy) if p is not None)
    say(f"{len(samples)} image(s), {len(visited)} steps, {elapsed:.1f} s in SQL; wrote {written}")


@cli.command()
@click.option("--image", "-i", "image", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The picture to invert (resized to the model's size).")
@click.option("--steps", default=50, show_default=True, type=click.IntRange(min=1), help="DDIM inversion steps.")
@click.option("--save-npy", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the starting noise x_T (.npy).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also redraw the picture from x_T (DDIM, eta 0) and write it here, with the error.")
@click.option("--model", "-m", default="demo", show_default=True, help="'demo', a model folder or a Hub id.")
@engine_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or messages.")
@force_option
def invert(image, steps, save_npy, out, model, engine, database, max_memory, quiet, force) -> None:
    """DDIM inversion: the starting noise that DDIM turns back into a picture, all in SQL."""
    from .. import editing, pictures, provenance
    from ..outputs import check_distinct, check_output

    beside = provenance.npy_settings_path(save_npy)
    save_npy = check_output(save_npy, "npy", force, "--save-npy")
    settings_json = check_output(beside, "text", force, "--save-npy's settings")
    out = check_output(out, "picture", force, "--out") if out is not None else None
    check_distinct(("--save-npy", save_npy), ("--save-npy's settings", settings_json), ("--out", out))
    say = saying(quiet)
    pipe, picture = pipeline_with_picture(model, engine, database, max_memory, image, say)
    pipe.set_progress_bar_config(disable=True if quiet else None)
    x_t = editing.invert(pipe, picture, steps)
    loaded = pipe.unet.model
    made = provenance.record("invert", model=loaded.name, digest=loaded.digest, engine=engine, size=x_t.shape[-2:],
                             batch=1, seed=None, sampler="ddim", eta=0.0, steps=steps,
                             image_sha256=provenance.file_sha256(image, pictures.MAX_PICTURE_BYTES, "--image"))
    pictures.save_npy(save_npy, x_t)
    write_settings(settings_json, made)
    if out is not None:
        again = pipe(num_inference_steps=steps, sampler="ddim", init_noise=x_t, output_type="array").images
        pictures.save_png(out, pictures.grid(pictures.to_pixels(again), scale=pictures.enlargement(again.shape[-1])),
                          provenance.chunks(made))
        error = np.abs(pictures.to_pixels(again).astype(int) - pictures.to_pixels(picture).astype(int)).mean()
        say(f"redrawn from x_T: mean absolute difference {error:.1f} of 255 per pixel and channel; wrote {out}")
    say(f"wrote {save_npy} {list(x_t.shape)}")


@cli.command()
@click.option("--seeds", default="0,1", show_default=True, help="The seeds of the two starting noises: A,B.")
@click.option("--images", help="Or two pictures, inverted by DDIM: A.png,B.png.")
@click.option("--frames", default=8, show_default=True, type=click.IntRange(min=1), help="Pictures from A to B.")
@click.option("--steps", default=25, show_default=True, type=click.IntRange(min=1), help="DDIM steps (eta 0).")
@click.option("--model", "-m", default="demo", show_default=True, help="'demo', a model folder or a Hub id.")
@engine_options
@click.option("--out", "out", default="sqldiffusion.png", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The frames side by side (a picture).")
@click.option("--gif", type=click.Path(dir_okay=False, path_type=Path),
              help="The frames as an animation, there and back.")
@click.option("--save-npy", type=click.Path(dir_okay=False, path_type=Path), help="Write the frames (.npy).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or messages.")
@force_option
def interpolate(seeds, images, frames, steps, model, engine, database, max_memory,
                out, gif, save_npy, quiet, force) -> None:
    """A morph: two starting noises interpolated on the sphere in SQL, each frame denoised by DDIM."""
    from .. import editing, pictures, provenance

    try:
        pair = tuple(int(s) for s in seeds.split(","))
    except ValueError:
        raise SQLDiffusionError(f"--seeds {seeds!r}: expected two whole numbers, such as 3,8") from None
    names = tuple(Path(p) for p in images.split(",")) if images else None
    if len(pair) != 2 or (names is not None and len(names) != 2) or min(pair) < 0:
        raise SQLDiffusionError("interpolation runs between two seeds (--seeds A,B) or two pictures (--images A,B)")
    out, gif, save_npy, settings_json = check_outputs(out, gif, save_npy, force)
    say = saying(quiet)
    from ..editing import prepare_pictures
    from ..model import load_model
    from ..pipeline import image_size
    from ..preflight import check_fits, gif_bytes

    loaded = load_model(model).untexted("interpolate")
    size = image_size(loaded.config)  # the UNet's samples; a latent model's pictures are its decoder's
    if loaded.autoencoder is not None:
        size = tuple(side * loaded.autoencoder.config.factor for side in size)
        check_fits(loaded.autoencoder.config, *size, frames, max_memory, batch_option="--frames")
    scale = pictures.enlargement(size[0], 128)
    # before the engine starts: the frames are one batch; --gif shows them there and back, enlarged
    trajectory = gif_bytes(frames + max(frames - 2, 0), size[0] * scale * size[1] * scale) if gif is not None else 0
    check_fits(loaded.config, *image_size(loaded.config), frames, max_memory, trajectory=trajectory,
               batch_option="--frames")
    ends = None
    if names is not None:
        ends = []
        for name in names:
            array, notes, _ = prepare_pictures(loaded.config, pictures.open_picture(name, "--images"),
                                               loaded.autoencoder)
            ends.append(array)
            for note in notes:
                say(f"{name}: {note}")
    pipe, _ = pipeline_with_picture(loaded, engine, database, max_memory, None, say)
    pipe.set_progress_bar_config(disable=True if quiet else None)
    samples = editing.interpolate(pipe, frames, pair, ends, steps, "array").images
    made = provenance.record(
        "interpolate", model=loaded.name, digest=loaded.digest, engine=engine, size=size, batch=frames, seed=None,
        sampler="ddim", eta=0.0, steps=steps, frames=frames, seeds=list(pair) if names is None else None,
        images_sha256=[provenance.file_sha256(n, pictures.MAX_PICTURE_BYTES, "--images")
                       for n in names] if names else None)
    pixels = pictures.to_pixels(samples)
    writes = [lambda: pictures.save_png(out, pictures.grid(pixels, columns=frames, scale=scale),
                                        provenance.chunks(made))]
    if save_npy is not None:
        writes.append(lambda: pictures.save_npy(save_npy, samples))
        writes.append(lambda: write_settings(settings_json, made))
    if gif is not None:  # last, as generate's
        there_and_back = list(pixels) + list(pixels[-2:0:-1])
        writes.append(lambda: save_gif(gif, there_and_back, lambda p: np.repeat(np.repeat(p, scale, 0), scale, 1)))
    write_all(writes)
    say(f"{frames} frames, {steps} DDIM steps each; wrote {', '.join(str(p) for p in (out, gif, save_npy) if p)}")


def pipeline_with_picture(model, engine, database, max_memory, image, say):
    """A pipeline of `model` in the engine, and `image` read for it (None: none)."""
    from ..editing import prepare_pictures
    from ..model import Model, load_model
    from ..pictures import open_picture
    from ..pipeline import SQLDiffusionPipeline, autoencoder_of
    from ..sql_unet import SQLUNet

    loaded = (model if isinstance(model, Model) else load_model(model)).untexted("invert and interpolate")
    picture = None
    if image is not None:  # a latent model's: at its decoder's size, encoded in the engine
        picture, notes, _ = prepare_pictures(loaded.config, open_picture(image, "--image"), loaded.autoencoder)
        for note in notes:
            say(note)
    say(f"loading {loaded.name} into {where(engine, database)}")
    net = SQLUNet(loaded, engine, database, max_memory=max_memory)
    return SQLDiffusionPipeline(net, vae=autoencoder_of(loaded, net)), picture


def latent_inpaint(loaded, image, mask, steps, eta, sampler, strength, engine, database, max_memory, seed, batch,
                   out, gif, show_ascii, colour, save_npy, quiet, force) -> None:
    """inpaint of a latent model: StableDiffusionInpaintPipeline's blend of the known latents, in SQL."""
    from click.core import ParameterSource

    from .. import provenance
    from ..editing import SQLInpaintPipeline, latent_inpainting_plan
    from ..pictures import MAX_PICTURE_BYTES, load_mask, load_picture
    from ..pipeline import autoencoder_of, image_size
    from ..preflight import check_fits
    from ..schedulers import make_scheduler, scheduler_from_config
    from ..sql_unet import SQLUNet

    context = click.get_current_context()
    if any(context.get_parameter_source(o) == ParameterSource.COMMANDLINE for o in ("jump_length", "jump_n_sample")):
        raise SQLDiffusionError("--jump-length and --jump-n-sample are RePaint's, for pixel models; a latent model "
                                "inpaints as StableDiffusionInpaintPipeline does: drop them")
    if gif is not None:
        raise SQLDiffusionError("--gif draws a pixel model's steps; a latent model's steps are latents: drop --gif")
    out, _, save_npy, settings_json = check_outputs(out, None, save_npy, force)
    say = saying(quiet)
    base = scheduler_from_config(loaded.scheduler_config)  # checked before the engine starts, as the pipeline's
    name = base.name if sampler is None else sampler
    pipe_scheduler = latent_inpainting_plan(make_scheduler(name, base.config, eta, True, base.karras and
                                                           name == base.name), strength, steps)
    latents, vae = image_size(loaded.config), loaded.autoencoder
    size = tuple(side * vae.config.factor for side in latents)
    check_fits(loaded.config, *latents, batch, max_memory)
    check_fits(vae.config, *size, batch, max_memory)
    picture, notes, original = load_picture(image, vae.config.in_channels, size, "--image", with_size=True)
    fill = load_mask(mask, 1, size, original, "--mask")
    for note in notes:
        say(note)
    say(f"loading {loaded.name} into {where(engine, database)}; {len(pipe_scheduler.timesteps)} steps")
    net = SQLUNet(loaded, engine, database, max_memory=max_memory)
    pipe = SQLInpaintPipeline(net, vae=autoencoder_of(loaded, net))
    made = provenance.record("inpaint", model=loaded.name, digest=loaded.digest, engine=engine, size=size,
                             autoencoder_digest=vae.digest, batch=batch, seed=seed, sampler=pipe_scheduler.name,
                             eta=eta, steps=steps, strength=strength,
                             image_sha256=provenance.file_sha256(image, MAX_PICTURE_BYTES, "--image"),
                             mask_sha256=provenance.file_sha256(mask, MAX_PICTURE_BYTES, "--mask"))
    pipe.set_progress_bar_config(disable=True if quiet else None)
    began = time.perf_counter()
    samples = pipe(image=picture, mask_image=fill, num_inference_steps=steps, eta=eta, batch_size=batch, seed=seed,
                   sampler=sampler, strength=strength, output_type="array").images
    elapsed = time.perf_counter() - began
    show_and_write(samples, [], None, out, None, save_npy, show_ascii, colour, made, settings_json)
    written = ", ".join(str(p) for p in (out, save_npy) if p is not None)
    say(f"{len(samples)} image(s), {len(pipe_scheduler.timesteps)} steps, {elapsed:.1f} s in SQL; wrote {written}")
