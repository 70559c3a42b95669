"""Turning samples in [-1, 1] into things people look at: ASCII, true-colour terminal art, PNG, GIF.

This is presentation only (the numbers were made in SQL); pixel values are x / 2 + 0.5, clipped,
as diffusers' pipelines do.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np

from .errors import SQLDiffusionError, first_line
from .outputs import write_output

# The blog's ramp, from blank to densest: dark pixels get dense characters.
RAMP = " `.-':_,^=;><+!rc*/z?sLTv)J7(|Fi{C}fI31tluneoZ5Yxjya]2ESwqkP6h9d4VpOGbUAKXHm8RD#Bg0MNWQ%&@"
COLUMNS = 64


def to_pixels(samples: np.ndarray) -> np.ndarray:
    """(B, C, H, W) in [-1, 1] -> uint8 (B, H, W, 3); one channel is shown as grey, other counts as
    the grey of their mean. float32 throughout and halves rounded up, as the SQL picture does."""
    images = np.clip(samples.astype(np.float32) / 2 + np.float32(0.5), 0, 1).transpose(0, 2, 3, 1)
    if images.shape[-1] != 3:
        images = np.repeat(images.mean(axis=-1, keepdims=True) if images.shape[-1] > 1 else images, 3, axis=-1)
    return np.floor(images * np.float32(255) + np.float32(0.5)).astype(np.uint8)


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Box-average when shrinking, nearest when enlarging (crisp pixels)."""
    from PIL import Image

    h, w = image.shape[:2]
    method = Image.NEAREST if height >= h and width >= w else Image.BOX
    return np.asarray(Image.fromarray(image).resize((width, height), method))


def ascii_art(image: np.ndarray, columns: int = COLUMNS, stretch: bool = False) -> str:
    """One uint8 (H, W, 3) image as text `columns` wide; a character cell is about twice as tall as wide.

    Each character shows the mean grey of its block of pixels (one pixel when enlarging), mapped
    onto the ramp with dark pixels dense. `ascii_sql` in the PostgreSQL dialect computes the same
    characters in SQL, block for block. `stretch`: the cells' greys spread over the whole ramp
    (darkest cell "@", lightest " "), so that a pale picture still shows its shape.
    """
    h, w = image.shape[:2]
    rows = ascii_rows(h, w, columns)
    grey = image.astype(np.float64).mean(axis=-1)
    cells = np.array([[grey[slice(*cell_span(r, h, rows)), slice(*cell_span(c, w, columns))].mean()
                       for c in range(columns)] for r in range(rows)]) / 255
    if stretch and cells.max() - cells.min() > 1e-6:
        cells = (cells - cells.min()) / (cells.max() - cells.min())
    return "\n".join("".join(RAMP[ramp_index(v)] for v in row) for row in cells)


def truecolour_terminal(stream=None) -> bool:
    """Whether `stream` (stdout) is a terminal that says it shows 24-bit colour (COLORTERM)."""
    stream = stream or sys.stdout
    return os.environ.get("COLORTERM", "").lower() in ("truecolor", "24bit") and stream.isatty()


def ascii_rows(height: int, width: int, columns: int = COLUMNS) -> int:
    return max(1, round(columns * height / width / 2))


def cell_span(i: int, size: int, cells: int) -> tuple[int, int]:
    """The pixels [lo, hi) that character cell i of `cells` covers along a side of `size` pixels."""
    lo = i * size // cells
    return lo, max(lo + 1, (i + 1) * size // cells)


def ramp_index(grey: float) -> int:
    return int(np.floor((1 - grey) * (len(RAMP) - 1) + 0.5))


def colour_art(image: np.ndarray, columns: int = COLUMNS) -> str:
    """True-colour half blocks: each character shows two pixels, the upper as foreground."""
    h, w = image.shape[:2]
    rows = max(1, round(columns * h / w / 2))
    pixels = _resize(image, 2 * rows, columns)
    lines = []
    for y in range(rows):
        top, bottom = pixels[2 * y], pixels[2 * y + 1]
        cells = [f"\x1b[38;2;{t[0]};{t[1]};{t[2]}m\x1b[48;2;{b[0]};{b[1]};{b[2]}m\u2580" for t, b in zip(top, bottom)]
        lines.append("".join(cells) + "\x1b[0m")
    return "\n".join(lines)


def png_bytes(samples: np.ndarray, text: dict[str, str] | None = None) -> bytes:
    """Samples (B, C, H, W) in [-1, 1] as one PNG at their own size (a grid, 1 pixel apart, for a
    batch), with `text` as its text chunks (keyword -> text; see provenance.chunks)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(grid(to_pixels(samples), gap=1 if len(samples) > 1 else 0)).save(
        buffer, format="PNG", pnginfo=png_text(text))
    return buffer.getvalue()


def png_text(text: dict[str, str] | None):
    """Pillow's PngInfo holding `text`: tEXt where the text is Latin-1, iTXt (UTF-8) where not."""
    from PIL.PngImagePlugin import PngInfo

    if not text:
        return None
    info = PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    return info


def grid(images: np.ndarray, columns: int | None = None, scale: int = 1, gap: int = 2) -> np.ndarray:
    """uint8 (N, H, W, 3) images side by side, `columns` per row (about square by default), enlarged."""
    n, h, w, _ = images.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    if scale > 1:
        images = images.repeat(scale, axis=1).repeat(scale, axis=2)
        h, w = h * scale, w * scale
    canvas = np.full((rows * h + (rows - 1) * gap, columns * w + (columns - 1) * gap, 3), 255, np.uint8)
    for i, image in enumerate(images):
        y, x = divmod(i, columns)
        canvas[y * (h + gap): y * (h + gap) + h, x * (w + gap): x * (w + gap) + w] = image
    return canvas


def enlargement(size: int, target: int = 256) -> int:
    """The whole-number scale that brings an image side near `target` pixels."""
    return max(1, round(target / size))


def save_png(path: Path, picture: np.ndarray, text: dict[str, str] | None = None) -> Path:
    """A picture in the format its name asks for (.png, or any other Pillow writes); a PNG carries
    `text` as its text chunks (other formats have no such chunks and go without)."""
    from PIL import Image

    Image.init()
    fmt = Image.registered_extensions().get(Path(path).suffix.lower(), "PNG")
    extra = {"pnginfo": png_text(text)} if fmt == "PNG" and text else {}
    return write_output(Path(path), lambda temp: Image.fromarray(picture).save(temp, format=fmt, **extra))


def save_gif(path: Path, frames: list[np.ndarray], seconds_per_frame: float = 0.25) -> Path:
    from PIL import Image

    images = [Image.fromarray(f) for f in frames]
    durations = [int(seconds_per_frame * 1000)] * (len(images) - 1) + [2000]  # linger on the result
    return write_output(Path(path), lambda temp: images[0].save(temp, format="GIF", save_all=True,
                                                                append_images=images[1:], duration=durations, loop=0))


def save_npy(path: Path, array: np.ndarray) -> Path:
    def write(temp: str) -> None:
        with open(temp, "wb") as f:  # a file object: numpy would add ".npy" to a bare name
            np.save(f, array)

    return write_output(Path(path), write)


def write_text(path: Path, write) -> Path:
    """Call write(file) on a text file that appears at `path` only once complete."""
    def fill(temp: str) -> None:
        with open(temp, "w") as f:
            write(f)

    return write_output(Path(path), fill)


# Pictures given to edit, inpaint and interpolate are resized to the model's size (at most a few
# hundred pixels a side in every public UNet2DModel): 4096x4096 is far more than any needs, and its
# decoded pixels (64 MiB as RGBA) fit any machine. The file itself: at most 64 MiB.
MAX_PICTURE_PIXELS = 4096 * 4096
MAX_PICTURE_BYTES = 64 << 20


def open_picture(picture, what: str = "image"):
    """A PIL image from a file name, an open binary file or as it is. A named file must be a regular
    file of at most MAX_PICTURE_BYTES; every picture's header must give at most MAX_PICTURE_PIXELS,
    checked before its pixels are decoded."""
    import warnings
    from contextlib import nullcontext

    from PIL import Image, UnidentifiedImageError

    from .model.files import open_bounded

    if isinstance(picture, Image.Image):
        return _bounded(picture, what)
    label = what if hasattr(picture, "read") else f"{what} {picture}"
    try:
        source = nullcontext(picture) if hasattr(picture, "read") else open_bounded(picture, MAX_PICTURE_BYTES, what)
        with source as f, warnings.catch_warnings():
            # Pillow's own bomb check only warns below twice its limit: an error here, as above it
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(f) as opened:  # reads the header only
                _bounded(opened, label)
                opened.load()
                return opened.copy()
    except FileNotFoundError:
        raise SQLDiffusionError(f"{label}: no such file") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise SQLDiffusionError(f"{label}: too many pixels to decode ({first_line(e)}); give a picture "
                                f"of at most {MAX_PICTURE_PIXELS:,} pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:  # what Pillow's decoders raise
        raise SQLDiffusionError(f"{label}: not a picture Pillow can read ({first_line(e)})") from None


def _bounded(image, label: str):
    """`image` if its size (known from the header, before decoding) is within MAX_PICTURE_PIXELS."""
    width, height = image.size
    if width * height > MAX_PICTURE_PIXELS:
        raise SQLDiffusionError(f"{label}: {width}x{height} is more pixels than a picture may have "
                                f"({MAX_PICTURE_PIXELS:,}, 4096x4096); shrink it to the model's size first")
    return image


def load_mask(mask, channels: int, size: tuple[int, int], picture_size: tuple[int, int] | None = None,
              what: str = "mask") -> np.ndarray:
    """A mask picture as (1, C, H, W) of 1.0 where it is light (at least half white: fill in) and 0.0
    elsewhere, at the model's size (nearest pixel, so that it stays two-valued)."""
    from PIL import Image

    mask = open_picture(mask, what)
    if picture_size is not None and mask.size != picture_size:
        raise SQLDiffusionError(f"{what} is {mask.size[0]}x{mask.size[1]} but the picture {picture_size[0]}x"
                                f"{picture_size[1]}; draw the mask over the picture itself")
    height, width = size
    grey = np.asarray(mask.convert("L").resize((width, height), Image.NEAREST), dtype=np.float32) / 255
    fill = (grey >= 0.5).astype(np.float32)
    return np.repeat(fill[None, None], channels, axis=1)


def load_picture(picture, channels: int, size: tuple[int, int], what: str = "image", with_size: bool = False):
    """A picture (a file name or a PIL image) as a float32 (1, C, H, W) array in [-1, 1] at the
    model's size and channel count, with notes on what was changed to get there (and, with
    `with_size`, the picture's own width and height)."""
    from PIL import Image

    notes = []
    picture = open_picture(picture, what)
    original = picture.size
    mode = "L" if channels == 1 else "RGB"
    if picture.mode != mode:
        notes.append(f"{what} converted from {picture.mode} to {mode}")
        picture = picture.convert(mode)
    height, width = size
    if picture.size != (width, height):
        notes.append(f"{what} resized from {picture.size[0]}x{picture.size[1]} to the model's {width}x{height}")
        picture = picture.resize((width, height), Image.LANCZOS)
    pixels = np.asarray(picture, dtype=np.float32).reshape(height, width, -1)
    if channels not in (1, 3):
        pixels = np.repeat(pixels.mean(axis=-1, keepdims=True), channels, axis=-1)  # grey in every channel
    array = (pixels / np.float32(127.5) - 1).transpose(2, 0, 1)[None].copy()
    return (array, notes, original) if with_size else (array, notes)
