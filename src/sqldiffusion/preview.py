"""Previews of a latent model's steps, computed in SQL: what the page, the GIF and the progress
callback show while a latent run goes. The final picture always comes from the full decoder.

>>> pipe(num_inference_steps=20, callback=lambda step, peek: show(peek.preview()))

Which preview a run gets (`latent_preview`):
- "autoencoder": a small autoencoder's decoder, a small SQL program run per preview: the
  `preview_vae` given (meant for a tiny one, AutoencoderTiny: TAESD), else the model's own
  autoencoder where that is an AutoencoderTiny;
- "latent2rgb": a fixed linear map from the latent channels to RGB, one statement per preview:
  ComfyUI's `latent_rgb_factors` (comfy/latent_formats.py), for the latent spaces they were
  fitted to: an AutoencoderKL of 4 latent channels with scaling_factor 0.18215 (Stable Diffusion
  1.x and 2.x), or 0.13025 (SDXL, with its bias);
- "channels": any other latent space: its first three channels as R, G and B (a grey of their mean
  for one or two channels), stretched per picture to [-1, 1], one statement per preview.

A preview reads latents as the loop holds them (times scaling_factor, as diffusers' pipelines hold
them) and makes pictures (B, 3, H, W) in about [-1, 1]: at the latents' size for the two maps, at
the decoder's for an autoencoder.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import SQLDiffusionError
from .events import StatementFinished, StatementStarted, Step, StepFinished
from .graph.autoencoder_config import AutoencoderKLConfig, AutoencoderTinyConfig
from .program import LATENTS, SAMPLE
from .schedulers.base import PREDICTION
from .sql_autoencoder import DECODE, SQLAutoencoder, latents_sql

# ComfyUI's latent_rgb_factors: one row per latent channel, its weight in R, G and B
SD_LATENT_RGB = ((0.3512, 0.2297, 0.3227),
                 (0.3250, 0.4974, 0.2350),
                 (-0.2829, 0.1762, 0.2721),
                 (-0.2120, -0.2616, -0.7177))
SDXL_LATENT_RGB = ((0.3651, 0.4232, 0.4341),
                   (-0.2533, -0.0042, 0.1068),
                   (0.1076, 0.1111, -0.0362),
                   (-0.3165, -0.2492, -0.2188))
SDXL_LATENT_RGB_BIAS = (0.1084, -0.0175, -0.0011)
# the latent spaces with known factors: an AutoencoderKL of 4 latent channels, by its scaling_factor
LATENT_RGB = {0.18215: (SD_LATENT_RGB, (0.0, 0.0, 0.0)), 0.13025: (SDXL_LATENT_RGB, SDXL_LATENT_RGB_BIAS)}
PREVIEW = "sqld_preview"  # the relation a one-statement preview makes
KINDS = ("autoencoder", "latent2rgb", "channels")


@dataclass(frozen=True)
class LatentPreview:
    """How a latent model's steps are shown: see the module's docstring."""

    kind: str  # one of KINDS
    channels: int  # the latents'
    decoder: SQLAutoencoder | None = None  # "autoencoder": whose decoder makes the preview
    factors: tuple[tuple[float, ...], ...] = ()  # "latent2rgb": per latent channel, its weight in R, G, B
    bias: tuple[float, float, float] = (0.0, 0.0, 0.0)  # "latent2rgb": added to R, G and B

    @property
    def label(self) -> str:
        """What the page says a preview is."""
        if self.kind == "autoencoder":
            return f"{self.decoder.network.class_name} decode"
        return {"latent2rgb": "latent-to-RGB map", "channels": "latent channels"}[self.kind]

    def picture_shape(self, shape: Sequence[int]) -> tuple[int, int, int, int]:
        """The previews' shape for latents of `shape` (B, C, h, w)."""
        b, _, h, w = shape
        if self.kind == "autoencoder":
            f = self.decoder.factor
            return b, self.decoder.config.out_channels, h * f, w * f
        return b, 3, h, w

    def run(self, engine, source: str, shape: Sequence[int]) -> np.ndarray:
        """The previews of the latents (B, C, h, w) in relation `source`, computed in the engine and
        fetched; whatever the preview made is dropped after."""
        if self.kind == "autoencoder":
            return self._decoded(source, shape)
        try:
            engine.create(PREVIEW, self.sql(engine.dialect, source))
            return engine.fetch_image(PREVIEW, self.picture_shape(shape))
        finally:
            engine.drop(PREVIEW)

    def _decoded(self, source: str, shape: Sequence[int]) -> np.ndarray:
        b, _, h, w = shape
        vae = self.decoder
        program = vae.program_for(DECODE, b, h * vae.factor, w * vae.factor)
        try:
            vae.engine.create(LATENTS, latents_sql(vae.engine.dialect, vae.config, self.channels, source))
            return vae.engine.fetch_image(vae.execute(program), (b, *program.output_shape))
        finally:
            vae.engine.drop(LATENTS, *(s.target for s in program.statements))

    def sql(self, dialect, source: str) -> str:
        """The one statement of a "latent2rgb" or "channels" preview of `source`."""
        if self.kind == "latent2rgb":
            columns = [tuple(row[k] for row in self.factors) for k in range(3)]
            mixed = _mixed(dialect, source, self.channels, columns, self.bias)
            return f"SELECT {dialect.keys('p', True)}, {_rgb(dialect, 'p.p{}')}\nFROM ({mixed}) AS p"
        mixed = _mixed(dialect, source, self.channels, _picked(self.channels), (0.0, 0.0, 0.0))
        lowest = ", ".join(f"p{k}" for k in range(3))
        ranges = (f"SELECT b, min(least({lowest})) AS lo, max(greatest({lowest})) AS hi FROM ({mixed}) AS q "
                  "GROUP BY b")

        def stretched(value: str) -> str:
            return f"CASE WHEN r.hi > r.lo THEN ({value} - r.lo) * 2 / (r.hi - r.lo) - 1 ELSE 0 END"

        return (f"SELECT {dialect.keys('p', True)}, {_rgb(dialect, 'p.p{}', stretched)}\n"
                f"FROM ({mixed}) AS p JOIN ({ranges}) AS r ON r.b = p.b")

    def relations(self, shape: Sequence[int]) -> list[str]:
        """Every relation a preview of latents of `shape` may make (to drop after a run that stopped
        midway)."""
        if self.decoder is None:
            return [PREVIEW]
        _, _, h, w = shape
        program = self.decoder.program(DECODE, h * self.decoder.factor, w * self.decoder.factor)
        return [LATENTS, *(s.target for s in program.statements)]


def _picked(channels: int) -> list[tuple[float, ...]]:
    """The "channels" preview's R, G and B as weights of the latent channels: the first three, or
    for fewer, their mean in all three."""
    if channels >= 3:
        return [tuple(1.0 if i == k else 0.0 for i in range(channels)) for k in range(3)]
    return [(1.0 / channels,) * channels] * 3


def _mixed(dialect, source: str, channels: int, columns: Sequence[Sequence[float]], bias: Sequence[float]) -> str:
    """Rows (b, y, x, p0, p1, p2) of `source`: p_k the sum over a pixel's channels of channel times
    columns[k] (each a constant vector, float32), plus bias[k], in float64."""
    n = dialect.number
    vectors = []
    for k, column in enumerate(columns):
        def weight(i: str, column=column) -> str:
            return f"CASE {i} " + " ".join(f"WHEN {j} THEN {n(float(w))}" for j, w in enumerate(column)) + " END"

        vectors.append(f"\nCROSS JOIN (SELECT {dialect.indexed_channels(channels, weight)} "
                       f"FROM {dialect.series(1, 'one')}) AS f{k}")
    sums = ", ".join(f"{dialect.dot_channels(channels, 'x', f'f{k}')} + {n(float(bias[k]))} AS p{k}"
                     for k in range(3))
    return f"SELECT {dialect.keys('x', True)}, {sums}\nFROM {source} x{''.join(vectors)}"


def _rgb(dialect, column: str, formula: Callable[[str], str] = lambda value: value) -> str:
    """Select-list items of three channels, channel k `formula` of the column `column.format(k)`."""
    def value(k: str) -> str:
        return f"CASE {k} WHEN 0 THEN {formula(column.format(0))} WHEN 1 THEN {formula(column.format(1))} " \
               f"ELSE {formula(column.format(2))} END"

    return dialect.indexed_channels(3, value)


def latent_preview(vae: SQLAutoencoder | None, preview_vae: SQLAutoencoder | None = None) -> LatentPreview | None:
    """The preview of a model decoding with `vae` (None for a pixel model: its samples are its
    pictures), through `preview_vae` where one is given."""
    if vae is None:
        if preview_vae is not None:
            raise SQLDiffusionError("a preview autoencoder applies to latent models (a pipeline folder with a vae or "
                                    "vqvae); this model's samples are its pictures")
        return None
    channels = vae.latent_channels
    if preview_vae is not None:
        check_preview_fits(vae, preview_vae)
        return LatentPreview("autoencoder", channels, decoder=preview_vae)
    config = vae.config
    if isinstance(config, AutoencoderTinyConfig):
        return LatentPreview("autoencoder", channels, decoder=vae)
    if isinstance(config, AutoencoderKLConfig) and channels == 4 and not config.shift_factor and \
            float(config.scaling_factor) in LATENT_RGB:
        factors, bias = LATENT_RGB[float(config.scaling_factor)]
        return LatentPreview("latent2rgb", channels, factors=factors, bias=bias)
    return LatentPreview("channels", channels)


def check_preview_fits(vae, preview_vae) -> None:
    """A preview autoencoder must take the model's latents and make pictures of the same size.
    Either may be an SQLAutoencoder or a loaded Model of one."""
    def facts(a):
        config = a.config
        return config.embed_dim, config.factor, getattr(a, "model", a).name

    (channels, factor, _), (p_channels, p_factor, name) = facts(vae), facts(preview_vae)
    if p_channels != channels:
        raise SQLDiffusionError(f"the preview autoencoder {name} takes latents of {p_channels} channels, but this "
                                f"model's have {channels}; give a preview autoencoder of this model's latent space")
    if p_factor != factor:
        raise SQLDiffusionError(f"the preview autoencoder {name} enlarges latents {p_factor} times, but this model's "
                                f"autoencoder {factor} times; give one of the same factor")


class Peek:
    """The second argument of a step callback: `peek()` fetches the sample x_t; `peek.preview()` the
    picture of it the run's preview makes in SQL (for a pixel model, x_t itself)."""

    def __init__(self, fetch: Callable[[], np.ndarray], preview: Callable[[], np.ndarray] | None = None) -> None:
        self._fetch, self._preview = fetch, preview

    def __call__(self) -> np.ndarray:
        return self._fetch()

    def preview(self) -> np.ndarray:
        return self._preview() if self._preview is not None else self._fetch()


class RunWatcher:
    """What a run reports besides the loop's own reports: each step's previews (added to its
    StepFinished; `peek.preview()` for a step callback) and the statements of the final decode
    (network "decoder", reported with the last step)."""

    def __init__(self, engine, shape: Sequence[int], preview: LatentPreview | None, on_event=None,
                 on_step=None) -> None:
        self.engine, self.shape, self.preview = engine, tuple(shape), preview
        self._on_event, self._on_step = on_event, on_step
        self.last: Step | None = None

    def previews(self, source: str) -> np.ndarray:
        return self.preview.run(self.engine, source, self.shape)

    @property
    def on_event(self):
        """The loop's event handler: StepFinished with its previews (None where nobody listens)."""
        if self._on_event is None:
            return None

        def handle(event) -> None:
            if isinstance(event, StepFinished):
                self.last = event.step
                if self.preview is not None:
                    event = dataclasses.replace(event, sample_preview=self.previews(SAMPLE),
                                                prediction_preview=self.previews(PREDICTION))
            self._on_event(event)
        return handle

    @property
    def on_step(self):
        """The loop's step callback, whose peek also previews (None where nobody listens)."""
        if self._on_step is None:
            return None

        def step(step: Step, peek) -> None:
            self.last = step
            self._on_step(step, Peek(peek, (lambda: self.previews(SAMPLE)) if self.preview is not None else None))
        return step

    def decoder_callbacks(self) -> tuple:
        """SQLAutoencoder.execute's (after, before) statement callbacks reporting the decode's
        statements to the event handler ((None, None) where nobody listens)."""
        if self._on_event is None:
            return None, None

        def after(statement, wall: float, cpu: float) -> None:
            self._on_event(StatementFinished(statement, self.last, wall, cpu, network="decoder"))

        def before(statement) -> None:
            self._on_event(StatementStarted(statement, self.last, network="decoder"))
        return after, before

