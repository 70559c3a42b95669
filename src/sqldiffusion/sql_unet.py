"""The model: `SQLUNet`, a UNet2DModel imported into an engine, and `unet(model, sample, timestep)`,
one backbone pass."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from .backends import DEFAULT as DEFAULT_ENGINE
from .backends import get_engine
from .errors import SQLDiffusionError
from .graph import check_image_size
from .graph.unet_condition_config import MAX_TOKENS
from .model import Model, load_model
from .preflight import check_fits, check_model_fits
from .program import TEXT, TIMESTEPS, Program, Statement, render_unet


class SQLUNet:
    """A UNet2DModel imported into an engine, ready to run passes.

    >>> net = SQLUNet("path/to/unet")            # DuckDB in memory
    >>> eps = net(sample, 999)                    # sample: float32 (B, C, H, W)
    """

    def __init__(self, model: str | Path | Model, engine=DEFAULT_ENGINE, database: str | None = None,
                 on_import: Callable[[int, int], None] | None = None, max_memory: int | None = None) -> None:
        self.model = model if isinstance(model, Model) else load_model(model)
        self.config = self.model.config
        self.max_memory = max_memory  # bytes a run may use (None: what the machine has available)
        check_model_fits(self.config, max_memory)  # before the engine starts or anything is imported
        self.engine = get_engine(engine, database) if isinstance(engine, str) else engine
        layers = self.engine.dialect.stored_layers(self.model.network.layers(self.config))
        self.namespace = self.engine.import_model(self.model, layers, on_import)
        self._programs: dict[tuple[int, int, int | None], Program] = {}

    def program(self, height: int, width: int, tokens: int | None = None) -> Program:
        """The SQL program of one pass at this image size (and text length, for a model that reads
        text), lowered and rendered once for this engine's dialect, then reused: what runs, draws
        (the diagram) and exports (the web page) a pass."""
        key = (height, width, tokens)
        if key not in self._programs:
            self._programs[key] = render_unet(self.config, height, width, self.engine.dialect, self.namespace,
                                              tokens)
        return self._programs[key]

    def program_for(self, shape: tuple[int, ...], tokens: int | None = None) -> Program:
        """The program of a pass over samples of `shape` (B, C, H, W), once the run is known to fit
        in memory (preflight.py; one line if it does not)."""
        check_fits(self.config, shape[2], shape[3], shape[0], self.max_memory)
        return self.program(shape[2], shape[3], tokens)

    def __call__(self, sample: np.ndarray, timestep: float | Sequence[float] | np.ndarray,
                 on_statement: Callable[[Statement, float, float], None] | None = None,
                 class_labels: int | Sequence[int] | None = None,
                 encoder_hidden_states: np.ndarray | None = None) -> np.ndarray:
        """The model's output for `sample` at `timestep`; a text-conditioned model (UNet2DConditionModel)
        reads `encoder_hidden_states`, the text encoder's output (B, L, cross_attention_dim)."""
        sample, timesteps = self.check_inputs(sample, timestep)
        labels = self.checked_labels(class_labels, sample.shape[0])
        text = self.checked_text(encoder_hidden_states, sample.shape[0])
        program = self.program_for(sample.shape, None if text is None else text.shape[3])
        if text is None:
            return self.engine.run(program, sample, timesteps, on_statement, labels)
        try:
            self.engine.put_image(TEXT, text)
            return self.engine.run(program, sample, timesteps, on_statement, labels)
        finally:
            self.engine.drop(TEXT)

    def checked_text(self, given, batch: int) -> np.ndarray | None:
        """The text a text-conditioned model reads, (B, L, D) as the image relation (B, D, 1, L) it
        is stored as; None for a model that reads none."""
        if "encoder_hidden_states" not in self.model.network.reads:
            if given is not None:
                raise SQLDiffusionError("this model does not read text: it takes no encoder_hidden_states")
            return None
        width = self.config.cross_attention_dim
        if given is None:
            raise SQLDiffusionError(f"this model reads text: give encoder_hidden_states ({batch}, L, {width}), "
                                    "the text encoder's output")
        array = np.asarray(given)
        if array.ndim != 3 or array.shape[0] != batch or array.shape[2] != width or \
                not 1 <= array.shape[1] <= MAX_TOKENS or not np.issubdtype(array.dtype, np.floating):
            raise SQLDiffusionError(f"encoder_hidden_states has shape {list(array.shape)} ({array.dtype}); expected "
                                    f"floats ({batch}, L, {width}), L from 1 to {MAX_TOKENS}")
        if not np.isfinite(array).all():
            raise SQLDiffusionError("encoder_hidden_states holds NaN or infinite values")
        return np.ascontiguousarray(array.astype(np.float32).transpose(0, 2, 1)[:, :, None, :])

    def checked_labels(self, class_labels, batch: int) -> list[float] | None:
        """One class label per image (one given for all is repeated), checked against the model:
        whole numbers below num_class_embeds for an embedding table, finite numbers for
        class_embed_type "timestep"; None for a model without class conditioning."""
        cfg = self.config
        if not cfg.class_conditional:
            if class_labels is not None:
                raise SQLDiffusionError("this model is not class-conditional: it takes no class label")
            return None
        if class_labels is None:
            raise SQLDiffusionError("this model is class-conditional: give a class label (--class-label)")
        if cfg.class_embed_type == "identity":
            return self.checked_embeddings(class_labels, batch)
        labels = np.atleast_1d(np.asarray(class_labels))
        if labels.ndim != 1 or labels.size not in (1, batch) or not np.issubdtype(labels.dtype, np.number) \
                or np.issubdtype(labels.dtype, np.bool_):
            raise SQLDiffusionError(f"got {labels.size} class labels for a batch of {batch}; give one number, "
                                    "or one per image")
        labels = labels.astype(np.float64)
        if not np.isfinite(labels).all():
            raise SQLDiffusionError("a class label is NaN or infinite")
        if cfg.class_embed_type is None:
            bad = [v for v in labels if v != int(v) or not 0 <= v < cfg.num_class_embeds]
            if bad:
                raise SQLDiffusionError(f"class label {bad[0]:g} is not one of this model's classes: give a whole "
                                        f"number from 0 to {cfg.num_class_embeds - 1}")
        return [float(v) for v in np.broadcast_to(labels, (batch,))]

    def checked_embeddings(self, given, batch: int) -> np.ndarray:
        """class_embed_type "identity": the class embeddings themselves, (T,) for every image or (B, T)."""
        width = self.config.time_embed_dim
        try:
            array = np.asarray(given, dtype=np.float32)
        except (TypeError, ValueError):
            array = np.zeros((0,))
        if array.ndim == 1:
            array = array[None]
        if array.ndim != 2 or array.shape[1] != width or array.shape[0] not in (1, batch):
            raise SQLDiffusionError(f"this model takes its class embeddings given (class_embed_type identity): "
                                    f"give class_labels as {width} numbers, or an array ({batch}, {width})")
        if not np.isfinite(array).all():
            raise SQLDiffusionError("a class embedding holds NaN or infinite values")
        return np.broadcast_to(array, (batch, width)).copy()

    def time_embedding(self, timesteps: Sequence[float]) -> np.ndarray:
        """The sinusoidal timestep embedding (time_proj) of each timestep, computed in SQL: (T, C)."""
        size = self.model.network.smallest_size(self.config)
        statement = next(s for s in self.program(size, size).statements if s.label == "time_proj")
        program = Program((replace(statement, drops=()),), statement.target, (0, 0, 0))
        try:
            return self.engine.fetch_vectors(self.engine.execute(program, list(timesteps)))
        finally:
            self.engine.drop(statement.target, TIMESTEPS)

    def check_inputs(self, sample, timestep) -> tuple[np.ndarray, np.ndarray]:
        sample = np.asarray(sample)
        if sample.ndim == 3:
            sample = sample[None]
        if sample.ndim != 4:
            raise SQLDiffusionError(f"sample has shape {list(sample.shape)}; expected (B, C, H, W) or (C, H, W)")
        if not np.issubdtype(sample.dtype, np.floating):
            raise SQLDiffusionError(f"sample has dtype {sample.dtype}; expected float32")
        b, c, h, w = sample.shape
        if b < 1:
            raise SQLDiffusionError("sample holds no images (batch size 0)")
        if c != self.config.in_channels:
            raise SQLDiffusionError(f"sample has {c} channels "
                                    f"but the model takes in_channels={self.config.in_channels}")
        check_image_size(self.config, h, w)
        if not np.isfinite(sample).all():
            raise SQLDiffusionError("sample holds NaN or infinite values")
        timesteps = np.atleast_1d(np.asarray(timestep, dtype=np.float64))
        if timesteps.ndim != 1 or timesteps.size not in (1, b):
            raise SQLDiffusionError(f"got {timesteps.size} timesteps for a batch of {b}; give one, or one per image")
        if not np.isfinite(timesteps).all():
            raise SQLDiffusionError("timestep is NaN or infinite")
        return sample.astype(np.float32), np.broadcast_to(timesteps, (b,)).copy()


def unet(model: str | Path | Model, sample: np.ndarray, timestep, engine: str = DEFAULT_ENGINE,
         database: str | None = None, class_labels=None) -> np.ndarray:
    """One backbone pass in SQL: the model's output for `sample` at `timestep`, same shape as `sample`.

    `sample` is float32 (B, C, H, W) or (C, H, W); `timestep` one number or one per image;
    `class_labels` (class-conditional models) one number or one per image.
    """
    squeeze = np.ndim(sample) == 3
    out = SQLUNet(model, engine, database)(sample, timestep, class_labels=class_labels)
    return out[0] if squeeze else out
