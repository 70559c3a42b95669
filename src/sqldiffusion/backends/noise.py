"""The noise every backend draws, the same numbers on each: element (b, stream, y, x, c) of a
run's noise is a 64-bit counter hashed with the seed (`noise_counter`), two uniforms from its bits
made normal by `box_muller`. `Dialect.gaussian_noise` writes the relation; a dialect writes the
hash (`noise_channels`)."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import SQLDiffusionError

MAX_STREAMS = 1 << 16  # noise streams per image: x_T and one per sampler step


def noise_counter(stream: int, h: int, w: int, c: int) -> Callable[[str], str]:
    """The counter of element (bb, stream, yy, xx, ch) of the noise, as a function of the channel
    expression: image-major, so that image b's noise does not depend on how many images there are."""
    if not 0 <= stream < MAX_STREAMS:
        raise SQLDiffusionError(f"a run draws noise at most {MAX_STREAMS - 1} times per image (asked for the "
                                f"{stream}th); take fewer steps")
    return lambda ch: f"((bb::BIGINT * {MAX_STREAMS} + {int(stream)}) * {h * w} + yy * {w} + xx) * {c} + {ch}"



def box_muller(u1: str, u2: str) -> str:
    """A standard normal number from a uniform in (0, 1] and one in [0, 1), in float64."""
    return f"sqrt(-2 * ln({u1})) * cos(2 * pi() * {u2})"

