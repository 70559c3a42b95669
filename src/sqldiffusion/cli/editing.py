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
def inpaint(image, mask, steps, jump_length, jump_n_sample, eta, model, engine, database, max_memory, seed,
            batch, out, gif,
            show_ascii, colour, save_npy, quiet, force) -> None:
    """Inpainting by RePaint: fill in the white part of the mask, keep the rest of the picture.

    Every UNet pass, step, re-noising jump and blend with the kept pixels runs in SQL.
    """
    from .. import provenance
    from ..editing import SQLInpaintPipeline
    from ..model import load_model
    from ..pictures import MAX_PICTURE_BYTES, load_mask, load_picture
    from ..pipeline import image_size
    from ..preflight import check_fits
    from ..schedulers import RePaintScheduler
    from ..sql_unet import SQLUNet

    out, gif, save_npy, settings_json = check_outputs(out, gif, save_npy, force)
    say = saying(quiet)
    loaded = load_model(model).pixel_model("inpaint")
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
        again = pipe(num_inference_steps=steps, sampler="ddim", init_noise=x_t, output_type="latent").images
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

    loaded = load_model(model).pixel_model("interpolate")
    size = image_size(loaded.config)
    scale = pictures.enlargement(size[0], 128)
    # before the engine starts: the frames are one batch; --gif shows them there and back, enlarged
    trajectory = gif_bytes(frames + max(frames - 2, 0), size[0] * scale * size[1] * scale) if gif is not None else 0
    check_fits(loaded.config, *size, frames, max_memory, trajectory=trajectory, batch_option="--frames")
    ends = None
    if names is not None:
        ends = []
        for name in names:
            array, notes, _ = prepare_pictures(loaded.config, pictures.open_picture(name, "--images"))
            ends.append(array)
            for note in notes:
                say(f"{name}: {note}")
    pipe, _ = pipeline_with_picture(loaded, engine, database, max_memory, None, say)
    pipe.set_progress_bar_config(disable=True if quiet else None)
    samples = editing.interpolate(pipe, frames, pair, ends, steps, "latent").images
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
    from ..pipeline import SQLDiffusionPipeline
    from ..sql_unet import SQLUNet

    loaded = (model if isinstance(model, Model) else load_model(model)).pixel_model("invert and interpolate")
    picture = None
    if image is not None:
        picture, notes, _ = prepare_pictures(loaded.config, open_picture(image, "--image"))
        for note in notes:
            say(note)
    say(f"loading {loaded.name} into {where(engine, database)}")
    return SQLDiffusionPipeline(SQLUNet(loaded, engine, database, max_memory=max_memory)), picture
