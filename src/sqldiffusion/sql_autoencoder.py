"""An autoencoder imported into an engine: `SQLAutoencoder`, whose `decode` and `encode` run the
decoder and the encoder of an AutoencoderKL, a VQModel or an AutoencoderTiny as SQL programs.

The relations a pass reads and writes, so that a pipeline can run one inside its own run:
- a decode reads the latents from LATENTS (`sqld_latents`, an image (embed_dim, H / f, W / f));
- an encode reads the picture from PIXELS (`sqld_pixels`, an image (in_channels, H, W)) and, for an
  AutoencoderKL's sample of its latent distribution, standard normal noise from NOISE (`sqld_noise`,
  drawn by the engine's seeded `gaussian_noise`, as every other noise);
- every relation a pass makes is named `sqld_dec_t<n>` (the decoder; `sqld_decu_t<n>` unquantised),
  `sqld_enc_t<n>` (the encoder; `sqld_encs_t<n>` sampling), and is dropped as soon as nothing reads
  it; the output's name is the program's `output`.
`decode` and `encode` put their input there, run, fetch the output and drop what they made;
`execute` runs a program on inputs already in place and leaves its output for the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .backends import DEFAULT as DEFAULT_ENGINE
from .backends import get_engine
from .errors import SQLDiffusionError
from .graph.autoencoder import check_picture_size
from .graph.autoencoder_config import AutoencoderKLConfig, VQModelConfig
from .literals import number
from .model import Model, load_autoencoder
from .preflight import check_fits, check_model_fits
from .program import LATENTS, NOISE, PIXELS, SAMPLE, Program, Statement, render

DECODE, ENCODE = "", "encode"  # the registry's passes (graph/networks.py): "" is an entry's own `build`
SAMPLE_PASS, UNQUANTIZED = "sample", "decode_unquantized"
# the relations each pass makes, by pass: apart, as an engine may refill a relation of one name (Hyper)
_PREFIX = {DECODE: "sqld_dec_t", UNQUANTIZED: "sqld_decu_t", ENCODE: "sqld_enc_t", SAMPLE_PASS: "sqld_encs_t"}
DECODER_PREFIX = _PREFIX[DECODE]  # the decoder's relations, also where an exporter writes it out
MAX_SEED = (1 << 63) - 1


class SQLAutoencoder:
    """An autoencoder imported into an engine, ready to decode and encode.

    >>> vae = SQLAutoencoder("path/to/pipeline")      # its vae/ (or vqvae/), DuckDB in memory
    >>> pictures = vae.decode(latents)                  # latents: float32 (B, C, h, w); pictures (B, 3, H, W)
    >>> latents = vae.encode(pictures)                  # the latent distribution's mean (AutoencoderKL)

    The pipelines scale the latents (`scaling_factor`, `shift_factor`); decode and encode do not, as
    diffusers' `decode` and `encode` do not.
    """

    def __init__(self, model: str | Path | Model, engine=DEFAULT_ENGINE, database: str | None = None,
                 on_import: Callable[[int, int], None] | None = None, max_memory: int | None = None) -> None:
        self.model = model if isinstance(model, Model) else load_autoencoder(model)
        self.config = self.model.config
        self.network = self.model.network
        if self.network.role != "autoencoder":
            raise SQLDiffusionError(f"{self.model.name} is a {self.network.class_name}, not an autoencoder")
        self.max_memory = max_memory  # bytes a run may use (None: what the machine has available)
        check_model_fits(self.config, max_memory)  # before the engine starts or anything is imported
        self.engine = get_engine(engine, database) if isinstance(engine, str) else engine
        dialect = self.engine.dialect
        layers = {layer.name: layer for graph in self.network.pass_graphs(self.config)
                  for layer in dialect.stored_layers(graph)}
        self.namespace = self.engine.import_model(self.model, list(layers.values()), on_import)
        self._programs: dict[tuple[str, int, int], Program] = {}

    # ---- what the pipelines read of it ----------------------------------------------------------
    @property
    def factor(self) -> int:
        """How many times smaller than the picture the latents are, on each side."""
        return self.config.factor

    @property
    def latent_channels(self) -> int:
        """The channels of the latents `decode` takes and `encode` gives."""
        return self.config.embed_dim

    @property
    def scaling_factor(self) -> float:
        return float(self.config.scaling_factor)

    @property
    def shift_factor(self) -> float | None:
        """Subtracted from the latents before they are scaled (None where the config has none)."""
        return getattr(self.config, "shift_factor", None)

    # ---- programs -------------------------------------------------------------------------------
    def program(self, pass_name: str, height: int, width: int) -> Program:
        """The SQL program of one pass ("" the decoder, "encode", "sample", "decode_unquantized") for
        pictures of this size, lowered and rendered once for this engine's dialect, then reused."""
        key = (pass_name, height, width)
        if key not in self._programs:
            dialect = self.engine.dialect
            graph = dialect.lower(self.network.graph(self.config, height, width, pass_name))
            self._programs[key] = render(graph, dialect, self.namespace, _PREFIX[pass_name])
        return self._programs[key]

    def program_for(self, pass_name: str, batch: int, height: int, width: int) -> Program:
        """The program of a pass over `batch` pictures of this size, once it is known to fit in
        memory (preflight.py; one line if it does not)."""
        check_picture_size(self.config, height, width)
        check_fits(self.config, height, width, batch, self.max_memory, pass_name=pass_name)
        return self.program(pass_name, height, width)

    def execute(self, program: Program, on_statement: Callable[[Statement, float, float], None] | None = None,
                before: Callable[[Statement], None] | None = None) -> str:
        """Run a program on its inputs, already in place; return the relation holding its output
        (every other relation it made is dropped as soon as nothing reads it). `before(statement)`
        is called as each statement starts, `on_statement(statement, wall, cpu)` as it finishes."""
        return self.engine.run_statements(program, on_statement, before)

    # ---- passes ---------------------------------------------------------------------------------
    def decode(self, latents: np.ndarray, force_not_quantize: bool = False,
               on_statement: Callable[[Statement, float, float], None] | None = None) -> np.ndarray:
        """The pictures (B, out_channels, H, W) of latents (B, C, H / f, W / f), as diffusers' `decode`
        gives them (unclamped). A VQModel quantises the latents to its codebook first, unless
        `force_not_quantize`."""
        if force_not_quantize and not isinstance(self.config, VQModelConfig):
            raise SQLDiffusionError("force_not_quantize is a VQModel's option; this autoencoder has no codebook")
        latents = self.checked(latents, self.latent_channels, "latents")
        b, _, h, w = latents.shape
        program = self.program_for(UNQUANTIZED if force_not_quantize else DECODE, b, h * self.factor, w * self.factor)
        return self.run(program, {LATENTS: latents}, on_statement)

    def encode(self, pictures: np.ndarray, seed: int | None = None, stream: int = 0,
               on_statement: Callable[[Statement, float, float], None] | None = None) -> np.ndarray:
        """The latents (B, C, H / f, W / f) of pictures (B, in_channels, H, W) in [-1, 1]: an
        AutoencoderKL's latent distribution's mean, or with a `seed` a sample of it (its noise drawn
        in SQL from the seed and `stream`, as every other noise); a VQModel's latents before
        quantisation; an AutoencoderTiny's latents. As diffusers' `encode` gives them (unscaled)."""
        pictures = self.checked(pictures, self.config.in_channels, "pictures")
        b, _, h, w = pictures.shape
        check_picture_size(self.config, h, w)
        if seed is None:
            return self.run(self.program_for(ENCODE, b, h, w), {PIXELS: pictures}, on_statement)
        if not isinstance(self.config, AutoencoderKLConfig):
            raise SQLDiffusionError(f"a {self.network.class_name} gives its latents as they are: only an "
                                    "AutoencoderKL samples them (give no seed)")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
            raise SQLDiffusionError(f"seed {seed!r} is not a whole number from 0 to {MAX_SEED}")
        program = self.program_for(SAMPLE_PASS, b, h, w)
        noise = self.engine.dialect.gaussian_noise((b, *program.output_shape), int(seed), stream)
        return self.run(program, {PIXELS: pictures}, on_statement, noise)

    def run(self, program: Program, images: dict[str, np.ndarray], on_statement=None,
            noise: str | None = None) -> np.ndarray:
        """Put `images` (relation name -> (B, C, H, W)) and the `noise` (a SELECT) in place, run the
        program, and return its output; every relation it used is dropped after."""
        batch = next(iter(images.values())).shape[0]
        try:
            for name, image in images.items():
                self.engine.put_image(name, image)
            if noise is not None:
                self.engine.create(NOISE, noise)
            output = self.execute(program, on_statement)
            return self.engine.fetch_image(output, (batch, *program.output_shape))
        finally:
            self.engine.drop(*images, NOISE, *(s.target for s in program.statements))

    @staticmethod
    def checked(images, channels: int, what: str) -> np.ndarray:
        images = np.asarray(images)
        if images.ndim == 3:
            images = images[None]
        if images.ndim != 4 or images.shape[0] < 1:
            raise SQLDiffusionError(f"{what} have shape {list(images.shape)}; expected (B, C, H, W) or (C, H, W)")
        if not np.issubdtype(images.dtype, np.floating):
            raise SQLDiffusionError(f"{what} have dtype {images.dtype}; expected float32")
        if images.shape[1] != channels:
            raise SQLDiffusionError(f"{what} have {images.shape[1]} channels; this autoencoder takes {channels}")
        if not np.isfinite(images).all():
            raise SQLDiffusionError(f"{what} hold NaN or infinite values")
        return images.astype(np.float32)


def latents_sql(dialect, autoencoder, channels: int, source: str = SAMPLE) -> str:
    """The SELECT of the latents the decoder of `autoencoder` (a config) takes, from the samples in
    `source`: divided by its scaling_factor, plus its shift_factor where it has one, as diffusers'
    pipelines hand them to `decode`."""
    scale = number(float(autoencoder.scaling_factor))
    shift = number(float(getattr(autoencoder, "shift_factor", None) or 0.0))
    return dialect.pixelwise(channels, lambda x: f"{x} / {scale} + {shift}", [source])
