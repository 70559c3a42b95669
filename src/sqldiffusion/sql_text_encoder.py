"""A text encoder imported into an engine: `SQLTextEncoder`, whose `encode` runs transformers'
CLIPTextModel as an SQL program, from token ids to the hidden states a Stable Diffusion UNet reads.

The relations a pass reads and writes, so that a pipeline can run one inside its own run:
- it reads the token ids from TOKENS (`sqld_tokens`, an image (1, 1, L): row (b, 0, x), v = [id]);
- it leaves its output in TEXT (`sqld_text`, an image (hidden_size, 1, L): one row per token), the
  relation a conditional UNet's `encoder_hidden_states` input reads;
- every other relation it makes is named `sqld_txt_t<n>`, dropped as soon as nothing reads it.
`encode` puts the ids there, runs, fetches the output and drops what it made; `encode_into` runs on
ids it is given and leaves TEXT for the caller (who drops it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from .backends import DEFAULT as DEFAULT_ENGINE
from .backends import get_engine
from .errors import SQLDiffusionError
from .graph.clip import build_text_encoder, check_sequence
from .model import Model, load_text_encoder
from .program import TEXT, TOKENS, Program, Statement, render

_PREFIX = "sqld_txt_t"


class SQLTextEncoder:
    """A text encoder imported into an engine, ready to encode token ids.

    >>> encoder = SQLTextEncoder("path/to/pipeline")      # its text_encoder/, DuckDB in memory
    >>> hidden = encoder.encode(ids)                      # ids: int (B, L); hidden: float32 (B, L, hidden_size)
    >>> hidden = encoder.encode(ids, clip_skip=1)          # diffusers' clip_skip: a layer before the last

    `encode` gives transformers' `last_hidden_state` (clip_skip 0 or None), or, with `clip_skip`,
    the hidden states `clip_skip` layers before the last through the final layer norm, as diffusers'
    `encode_prompt` takes them.
    """

    def __init__(self, model: str | Path | Model, engine=DEFAULT_ENGINE, database: str | None = None,
                 on_import: Callable[[int, int], None] | None = None) -> None:
        self.model = model if isinstance(model, Model) else load_text_encoder(model)
        self.config = self.model.config
        self.network = self.model.network
        if self.network.role != "text_encoder":
            raise SQLDiffusionError(f"{self.model.name} is a {self.network.class_name}, not a text encoder")
        self.engine = get_engine(engine, database) if isinstance(engine, str) else engine
        layers = self.engine.dialect.stored_layers(self.network.layers(self.config))
        self.namespace = self.engine.import_model(self.model, layers, on_import)
        self._programs: dict[tuple[int, int], Program] = {}

    @property
    def hidden_size(self) -> int:
        """The channels of each token's hidden state (768 for SD 1.x, 1024 for SD 2.x)."""
        return self.config.hidden_size

    def program(self, length: int, clip_skip: int | None = None) -> Program:
        """The SQL program of a pass over sequences of `length` tokens, its output TEXT, lowered and
        rendered once for this engine's dialect, then reused."""
        skip = clip_skip or 0
        key = (length, skip)
        if key not in self._programs:
            check_sequence(self.config, 1, length, skip)
            dialect = self.engine.dialect
            graph = dialect.lower(build_text_encoder(self.config, 1, length, skip))
            program = render(graph, dialect, self.namespace, _PREFIX)
            *head, last = program.statements  # the final layer norm: made as TEXT itself
            assert last.target == program.output
            self._programs[key] = replace(program, statements=(*head, replace(last, target=TEXT)), output=TEXT)
        return self._programs[key]

    def encode_into(self, ids, clip_skip: int | None = None,
                    on_statement: Callable[[Statement, float, float], None] | None = None,
                    before: Callable[[Statement], None] | None = None) -> str:
        """Run the pass on token ids (B, L) and leave its output in TEXT (returned), an image
        (hidden_size, 1, L) per item, for the caller to read (and drop). TOKENS and the pass's
        other relations are dropped. `before(statement)` is called as each statement starts,
        `on_statement(statement, wall, cpu)` as it finishes."""
        ids = self.checked(ids)
        program = self.program(ids.shape[1], clip_skip)
        made = [s.target for s in program.statements if s.target != TEXT]
        try:
            self.engine.put_image(TOKENS, ids.astype(np.float32)[:, None, None, :])
            self.engine.run_statements(program, on_statement, before)
        except BaseException:
            self.engine.drop(TEXT)
            raise
        finally:
            self.engine.drop(TOKENS, *made)
        return TEXT

    def encode(self, ids, clip_skip: int | None = None,
               on_statement: Callable[[Statement, float, float], None] | None = None) -> np.ndarray:
        """The hidden states (B, L, hidden_size), float32, of token ids (B, L) (or (L,))."""
        ids = self.checked(ids)
        output = self.encode_into(ids, clip_skip, on_statement)
        try:
            hidden = self.engine.fetch_image(output, (ids.shape[0], self.hidden_size, 1, ids.shape[1]))
        finally:
            self.engine.drop(output)
        return hidden[:, :, 0, :].transpose(0, 2, 1).copy()

    def checked(self, ids) -> np.ndarray:
        """Token ids as an int64 (B, L) array, each a row of the token table; one line if not."""
        ids = np.asarray(ids)
        if ids.ndim == 1:
            ids = ids[None]
        if ids.ndim != 2 or ids.shape[0] < 1 or ids.shape[1] < 1:
            raise SQLDiffusionError(f"token ids have shape {list(ids.shape)}; expected (B, L) or (L,)")
        if not np.issubdtype(ids.dtype, np.integer):
            raise SQLDiffusionError(f"token ids have dtype {ids.dtype}; expected whole numbers")
        vocab = self.config.vocab_size
        if ids.min() < 0 or ids.max() >= vocab:
            raise SQLDiffusionError(f"token ids run from {ids.min()} to {ids.max()}; this text encoder has "
                                    f"{vocab} tokens (0 to {vocab - 1})")
        check_sequence(self.config, 1, ids.shape[1])
        return ids.astype(np.int64)
