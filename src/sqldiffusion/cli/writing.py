"""What the sampling commands write and show: the outputs checked before a run, the picture as
text, the PNG with its settings, the array and its settings, the GIF of the trajectory."""

from __future__ import annotations

import functools
from pathlib import Path

import click
import numpy as np

from ..errors import RunFailed, SQLDiffusionError


def check_outputs(out, gif, save_npy, force: bool):
    """The picture, GIF and array outputs a sampling command may write, and the array's settings
    beside it (FILE.json), checked (see outputs.py)."""
    from ..outputs import check_distinct, check_output
    from ..provenance import npy_settings_path

    beside = npy_settings_path(save_npy) if save_npy is not None else None
    checked = (check_output(out, "picture", force, "--out"),
               check_output(gif, "gif", force, "--gif") if gif is not None else None,
               check_output(save_npy, "npy", force, "--save-npy") if save_npy is not None else None,
               check_output(beside, "text", force, "--save-npy's settings") if beside is not None else None)
    check_distinct(*zip(("--out", "--gif", "--save-npy", "--save-npy's settings"), checked))
    return checked


def show_and_write(samples, frames, first, out, gif, save_npy, show_ascii, colour, made, settings_json,
                   latents: tuple[Path, np.ndarray] | None = None) -> None:
    """The pictures as text on stdout, then every output file (see write_all); the picture and the
    array's settings file carry `made` (provenance.record; None: no settings are written);
    `latents`: where --save-latents writes a latent model's final latents, and them."""
    from .. import pictures, provenance

    pixels = pictures.to_pixels(samples)
    if show_ascii is None:  # by default colour where the terminal shows it, else the blog's ASCII
        colour = colour or pictures.truecolour_terminal()
    if show_ascii is not False or colour:
        art = pictures.colour_art if colour and not show_ascii else functools.partial(pictures.ascii_art, stretch=True)
        click.echo("\n\n".join(art(p) for p in pixels))
    scale = pictures.enlargement(pixels.shape[1])
    text = provenance.chunks(made) if made is not None else None
    writes = [lambda: pictures.save_png(out, pictures.grid(pixels, scale=scale), text)]
    if save_npy is not None:
        writes.append(lambda: pictures.save_npy(save_npy, samples))
        if made is not None:
            writes.append(lambda: write_settings(settings_json, made))
    if latents is not None:
        writes.append(lambda: pictures.save_npy(*latents))
    if gif is not None:  # last: the picture and the array are written whatever happens to its frames
        shown = ([first] if first is not None else []) + frames
        writes.append(lambda: save_gif(gif, shown, lambda f: gif_frame(f, scale, pixels.shape[1])))
    write_all(writes)


def write_settings(path: Path, made: dict) -> None:
    """--save-npy's settings, FILE.json: the JSON the picture's text chunk holds."""
    from .. import pictures, provenance

    pictures.write_text(path, lambda f: f.write(provenance.to_json(made) + "\n"))


def write_all(writes) -> None:
    """Every output, even when one fails (each failure saves its result elsewhere and says where)."""
    failures = []
    for write in writes:
        try:
            write()
        except SQLDiffusionError as e:
            failures.append(str(e))
    if failures:
        raise RunFailed("; ".join(failures))


def keeping(frames: list) -> callable:
    """A step callback that keeps every intermediate sample (for --gif)."""
    return lambda step, peek: frames.append(peek())


def keeping_last(kept: list) -> callable:
    """A step callback that keeps the sample after the last step (a latent model's final latents)."""
    def keep(step, peek) -> None:
        if step.index == step.total - 1:
            kept.append(peek())
    return keep


def keeping_pairs(frames: list) -> callable:
    """An event handler that keeps every step's sample and predicted clean picture (for --gif): a
    latent model's previews of them."""
    from ..events import StepFinished

    return lambda event: frames.append(event.pictures) if isinstance(event, StepFinished) else None


def save_gif(gif: Path, frames: list, draw) -> None:
    """--gif from `frames`, each drawn by `draw`; running out of memory on the way is one line (the
    preflight counted these frames, so only a machine whose memory went elsewhere meanwhile gets it)."""
    from .. import pictures

    try:
        pictures.save_gif(gif, [draw(f) for f in frames])
    except MemoryError:
        raise RunFailed(f"--gif {gif}: not written, not enough memory to assemble its {len(frames)} frames; "
                        "take fewer steps or images for a GIF") from None


def gif_peak_bytes(frames: int, batch: int, channels: int, height: int, width: int, pairs: bool) -> int:
    """What --gif of a sampling command holds at its peak (preflight.gif_bytes): `frames` frames of
    the batch as _gif_frame draws them (with x0 beside each x_t where `pairs`), and their float32
    samples kept while the run goes."""
    from ..pictures import enlargement
    from ..preflight import gif_bytes

    count = batch * (2 if pairs else 1)
    pixels = grid_pixels(count, height, width, columns=2 if pairs else None, scale=enlargement(height))
    return gif_bytes(frames, pixels, kept_values=frames * count * channels * height * width)


def grid_pixels(count: int, height: int, width: int, columns: int | None = None, scale: int = 1,
                 gap: int = 2) -> int:
    """The pixels of pictures.grid's canvas for `count` pictures, computed rather than drawn."""
    import math

    columns = columns or math.isqrt(count - 1) + 1  # grid's ceil(sqrt(count)), exact for any count
    rows = -(-count // columns)
    return (rows * height * scale + (rows - 1) * gap) * (columns * width * scale + (columns - 1) * gap)


def gif_frame(frame, scale: int, height: int | None = None) -> np.ndarray:
    """One frame of --gif: the samples (B, C, H, W), or (sample, prediction) pairs shown side by side,
    x_t on the left and the clean picture the step predicts on the right (blank before the first step).
    A frame smaller than the pictures' `height` (a latent model's preview at its latents' size) is
    enlarged to it."""
    from .. import pictures

    first = frame[0] if isinstance(frame, tuple) else frame
    if height is not None and first.shape[-2] < height:
        scale *= height // first.shape[-2]
    if not isinstance(frame, tuple):
        return pictures.grid(pictures.to_pixels(frame), scale=scale)
    sample, prediction = (pictures.to_pixels(f) if f is not None else None for f in frame)
    if prediction is None:
        prediction = np.full_like(sample, 255)
    pairs = np.stack([sample, prediction], axis=1).reshape(-1, *sample.shape[1:])  # x_t, x0, x_t, x0, ...
    return pictures.grid(pairs, columns=2, scale=scale)
