"""Preflight: the peak memory a run will need, estimated from the config, image size and batch before
anything is imported or run, and a one-line refusal when it exceeds what the machine has.

The estimate follows the graph: at each statement, the relations still to be read (the UNet's skips
among them) plus the statement's own working rows (a convolution's 3x3 neighbourhoods, attention's
scores), times a measured cost per float32 value held in the engine; plus the weights, times the
measured cost of importing them (the file, float32 copies, transformed kernels and the engine's
tables). The factors were measured on DuckDB (BENCHMARKS.md, "Preflight"), the engine that holds
everything in this process; they are kept for every engine, whose servers need no less.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import SQLDiffusionError
from .graph import network_of

BASE_BYTES = 400 << 20  # Python, the engine's library and their caches, before any model
BYTES_PER_WEIGHT = 4 * 8  # a float32 weight as imported: file, copies, Winograd kernels, the table (measured 6.6-7.1x)
BYTES_PER_VALUE = 4 * 7  # a float32 activation value held in a relation, overhead included (measured 0.8-6.5x)


# A pixel of a --gif frame: the uint8 RGB picture the command draws (3 bytes), Pillow's copy of it
# (4: it keeps RGB as RGBX) and the palette frame its GIF writer keeps of every frame until it writes
# (1); all the frames are alive at once, and a few more in the making. Each frame also costs Pillow's
# bookkeeping, its palette among it. Measured on 3 to 1,000 frames of batches of 1 to 16 (32 to 128
# pixels): up to 3.5 frames in the making, 20 to 25 KiB a frame (tests/robustness/test_sized_work.py).
GIF_BYTES_PER_PIXEL = 3 + 4 + 1
GIF_FRAMES_IN_FLIGHT = 4
GIF_BYTES_PER_FRAME = 64 << 10


@dataclass(frozen=True)
class Estimate:
    weights: int  # bytes the imported parameters take at their peak
    activations: int  # bytes the largest statement holds, with what it keeps alive
    base: int = BASE_BYTES
    trajectory: int = 0  # bytes --gif keeps: the samples of every step and the GIF's frames (gif_bytes)

    @property
    def total(self) -> int:
        return self.base + self.weights + self.activations + self.trajectory


def estimate(config, height: int, width: int, batch: int, trajectory: int = 0, pass_name: str = "") -> Estimate:
    """The estimate of a run, from the network's graph as built (the one every program of this size is
    lowered from, shared: network.graph): the measured factors are per value of that graph, whichever
    convolutions a dialect's lowering chooses. `pass_name`: which pass of a network that has several
    (an autoencoder's "encode"; by default its decoder, whose last level is its peak)."""
    graph = network_of(config).graph(config, height, width, pass_name)
    parameters = sum(math.prod(shape) for shape in graph.expected_tensors().values())
    return Estimate(parameters * BYTES_PER_WEIGHT, batch * peak_values(graph) * BYTES_PER_VALUE,
                    trajectory=trajectory)


def gif_bytes(frames: int, frame_pixels: int, kept_values: int = 0) -> int:
    """The memory --gif takes at its peak: `kept_values` float32 values kept while the run goes (the
    samples of every step, and the clean pictures predicted beside them where the GIF shows both),
    and the GIF's `frames` frames of `frame_pixels` pixels each, assembled all at once when it is
    written (GIF_BYTES_PER_PIXEL). Counted on top of the run's own peak: an upper bound."""
    per_frame = frame_pixels * GIF_BYTES_PER_PIXEL + GIF_BYTES_PER_FRAME
    return 4 * kept_values + (frames + GIF_FRAMES_IN_FLIGHT) * per_frame


def peak_values(graph) -> int:
    """The most values per image held at once: the relations still to be read, plus the
    statement's own working rows."""
    last = graph.last_use()
    peak = 0
    for node in graph.nodes:
        live = sum(math.prod(n.shape) for n in graph.nodes[:node.id] if last[n.id] >= node.id)
        peak = max(peak, live + math.prod(node.shape) + _working(graph, node))
    return peak


def _working(graph, node) -> int:
    if node.op == "conv3x3":
        cin, h, w = graph[node.inputs[0]].shape
        scale = 4 if node.attrs["upsample"] else 1
        return 9 * cin * h * w * scale  # each pixel's 3x3 neighbourhood
    if node.op == "attention":
        _, h, w = node.shape
        # scores, k and v; the engine streams the scores row by row (measured: about an eighth held at once)
        return node.attrs["heads"] * (h * w) ** 2 // 8 + 2 * math.prod(graph[node.inputs[0]].shape)
    if node.op == "cross_attention":  # each pixel's scores over the text's tokens, held as attention's are
        (_, h, w), (_, _, tokens) = node.shape, graph[node.inputs[1]].shape
        return node.attrs["heads"] * h * w * tokens // 8 + math.prod(graph[node.inputs[1]].shape)
    if node.op == "nearest":  # each pixel's difference from every code, ranked
        codes = graph[graph[node.inputs[1]].inputs[0]].channels  # the one-hot vectors the codebook is read from
        return math.prod(node.shape) * codes + 4 * node.shape[1] * node.shape[2] * codes
    return 0


def available_memory() -> int | None:
    """Bytes this process may still use: the kernel's MemAvailable, or the cgroup's limit less its
    usage where that is lower (a container). None where neither can be read."""
    found = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except OSError:
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit.isdigit():
            found.append(int(limit) - int(Path("/sys/fs/cgroup/memory.current").read_text()))
    except (OSError, ValueError):
        pass
    if not found and hasattr(os, "sysconf"):
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError):
            pass
    return min(found) if found else None


def parse_size(text: str) -> int:
    """'8G', '512M', '2.5GiB' or a number of bytes."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    cleaned = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = cleaned[-1:] if cleaned[-1:] in units else ""
    try:
        value = float(cleaned[:len(cleaned) - len(unit)])
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value <= 0:
        raise SQLDiffusionError(f"--max-memory {text[:40]!r}: give a size such as 8G or 512M")
    return int(value * units[unit])


def gib(n: int) -> str:
    return f"{n / (1 << 30):.1f} GiB"


def check_fits(config, height: int, width: int, batch: int, limit: int | None = None, trajectory: int = 0,
               batch_option: str = "--batch", pass_name: str = "") -> Estimate:
    """Refuse, in one line, a run whose estimated peak exceeds `limit` (the command line's
    --max-memory, passed down; without one, the memory this machine has available now).
    `trajectory`: the bytes --gif adds (gif_bytes); `batch_option`: the option that sets the batch,
    which the message names; `pass_name`: the pass of a network that has several (estimate)."""
    found = estimate(config, height, width, batch, trajectory, pass_name)
    where = "--max-memory"
    if limit is None:
        limit, where = available_memory(), "the memory available on this machine"
    if limit is not None and found.total > limit:
        gif = f", {gib(trajectory)} for the --gif frames" if trajectory else ""
        raise SQLDiffusionError(
            f"this run would need about {gib(found.total)} of memory ({batch} image(s) of {height}x{width}, "
            f"{gib(found.weights)} for the weights{gif}), more than {where} ({gib(limit)}); make fewer images at once "
            f"({batch_option}) or smaller ones{', or drop --gif or take fewer steps' if trajectory else ''}"
            f"{'' if where == '--max-memory' else ', or give --max-memory if you know better'}")
    return found


def latent_estimate(config, autoencoder, height: int, width: int, batch: int, trajectory: int = 0,
                    text_encoder=None, tokens: int = 77, passes_batch: int | None = None) -> Estimate:
    """The estimate of a latent run: the samples of `height` x `width` denoised by the network of
    `config`, then decoded by `autoencoder`'s decoder (a config) at its factor times that size. Both
    networks' weights are held all along; the loop's peak and the decoder's come one after the
    other, so the larger counts (at 512 px the SD decoder's last level holds 128 channels of
    512x512: more than any UNet pass on its 64x64 latents). A text-to-image run also holds its
    `text_encoder`'s weights (a config), whose pass over `tokens` comes first, and its UNet passes
    run on `passes_batch` items (twice the pictures where guided)."""
    loop = estimate(config, height, width, passes_batch or batch, trajectory)
    factor = autoencoder.factor
    decoder = estimate(autoencoder, height * factor, width * factor, batch)
    text = estimate(text_encoder, 1, tokens, passes_batch or batch) if text_encoder is not None else Estimate(0, 0)
    return Estimate(loop.weights + decoder.weights + text.weights,
                    max(loop.activations, decoder.activations, text.activations), trajectory=trajectory)


def check_latent_fits(config, autoencoder, height: int, width: int, batch: int, limit: int | None = None,
                      batch_option: str = "--batch", **text) -> Estimate:
    """check_fits for a latent run (latent_estimate, with a text run's `text_encoder`, `tokens` and
    `passes_batch`): one line naming the decoder's share where it does not fit. `height` x `width`:
    the samples' size (the latents')."""
    found = latent_estimate(config, autoencoder, height, width, batch, **text)
    where = "--max-memory"
    if limit is None:
        limit, where = available_memory(), "the memory available on this machine"
    if limit is not None and found.total > limit:
        factor = autoencoder.factor
        decoder = estimate(autoencoder, height * factor, width * factor, batch)
        raise SQLDiffusionError(
            f"this run would need about {gib(found.total)} of memory ({batch} image(s) of {height * factor}x"
            f"{width * factor}, decoded from latents of {height}x{width}: {gib(found.weights)} for the weights, "
            f"{gib(decoder.activations)} at the decoder's peak), more than {where} ({gib(limit)}); make fewer "
            f"images at once ({batch_option}) or smaller ones"
            f"{'' if where == '--max-memory' else ', or give --max-memory if you know better'}")
    return found


def check_model_fits(config, limit: int | None = None) -> None:
    """Before an import: the weights alone, at the smallest image size the model takes."""
    size = network_of(config).smallest_size(config)
    check_fits(config, size, size, 1, limit)
