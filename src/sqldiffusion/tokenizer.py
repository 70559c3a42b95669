"""Prompts to token ids, as diffusers' Stable Diffusion pipelines make them: transformers'
`CLIPTokenizer`, read from a pipeline folder's `tokenizer/` (`vocab.json` and `merges.txt`, or
`tokenizer.json`, with `tokenizer_config.json`), padded and cut to its `model_max_length` (77 for
Stable Diffusion) as `StableDiffusionPipeline.encode_prompt` does (`padding="max_length",
truncation=True`). A prompt that is cut is reported in one line naming what was left out, as
diffusers logs it. transformers is needed for text pipelines only: `pip install 'sqldiffusion[text]'`.

A prompt is checked before it is tokenized: text of at most MAX_PROMPT_BYTES bytes in UTF-8, with
no control characters but newline and tab (one line otherwise).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .errors import SQLDiffusionError, first_line
from .model.files import JSON_LIMIT, open_bounded

MAX_PROMPT_BYTES = 4096
MAX_TOKENS = 4096  # a model_max_length above this is no CLIP tokenizer's (transformers' unset one is 1e30)
TOKENIZER = "tokenizer"  # the component of a pipeline folder the tokenizer is read from
# the files a CLIP tokenizer is read from, with the most each may hold (CLIP's vocab.json is 1.6 MiB,
# merges.txt 0.5 MiB, tokenizer.json 3.5 MiB)
_FILES = {"vocab.json": 64 << 20, "merges.txt": 64 << 20, "tokenizer.json": 128 << 20,
          "tokenizer_config.json": JSON_LIMIT, "special_tokens_map.json": JSON_LIMIT, "added_tokens.json": JSON_LIMIT}
_ALLOWED_CONTROLS = {"\n", "\t"}

log = logging.getLogger(__name__)


def checked_prompt(prompt, what: str = "prompt") -> str:
    """`prompt` if it is text of at most MAX_PROMPT_BYTES bytes without control characters but
    newline and tab; one line otherwise."""
    if not isinstance(prompt, str):
        raise SQLDiffusionError(f"the {what} is a {type(prompt).__name__}; give text")
    try:
        size = len(prompt.encode("utf-8"))
    except UnicodeEncodeError:
        raise SQLDiffusionError(f"the {what} is not valid Unicode text (it holds a lone surrogate)") from None
    if size > MAX_PROMPT_BYTES:
        raise SQLDiffusionError(f"the {what} is {size} bytes long in UTF-8; at most {MAX_PROMPT_BYTES} are taken "
                                "(the text encoder reads its first 75 or so tokens anyway)")
    bad = next((c for c in prompt if unicodedata.category(c) == "Cc" and c not in _ALLOWED_CONTROLS), None)
    if bad is not None:
        raise SQLDiffusionError(f"the {what} holds the control character U+{ord(bad):04X}; "
                                "only newlines and tabs are allowed")
    return prompt


def tokenizer_folder(source: str | Path) -> Path:
    """The folder a tokenizer is read from: a pipeline folder's tokenizer/, or the folder itself."""
    path = Path(source).expanduser()
    if not path.is_dir():
        raise SQLDiffusionError(f"{path}: not a folder; give a pipeline folder holding tokenizer/, or a tokenizer "
                                "folder")
    folder = path / TOKENIZER if (path / TOKENIZER).is_dir() else path
    has_bpe = (folder / "vocab.json").exists() and (folder / "merges.txt").exists()
    if not has_bpe and not (folder / "tokenizer.json").exists():
        raise SQLDiffusionError(f"{folder}: no vocab.json and merges.txt, nor tokenizer.json; is this a CLIP "
                                "tokenizer folder?")
    for name, limit in _FILES.items():  # each a regular file of sane size, before transformers opens it
        if (folder / name).exists():
            open_bounded(folder / name, limit, f"a tokenizer's {name}").close()
    return folder


class PromptTokenizer:
    """transformers' CLIPTokenizer of a folder, making token ids as diffusers' pipelines do.

    >>> tokenize = PromptTokenizer("path/to/pipeline")     # its tokenizer/
    >>> ids = tokenize(["a photo of a cat", ""])            # int64 (2, model_max_length)
    """

    def __init__(self, source: str | Path) -> None:
        folder = tokenizer_folder(source)
        try:
            from transformers import CLIPTokenizer
        except ImportError:
            raise SQLDiffusionError("text pipelines need transformers: pip install 'sqldiffusion[text]'") from None
        try:
            self.tokenizer = CLIPTokenizer.from_pretrained(str(folder), local_files_only=True)
        except Exception as e:  # transformers raises many kinds for a damaged folder: one line for all
            raise SQLDiffusionError(f"{folder}: not a CLIP tokenizer transformers can read "
                                    f"({type(e).__name__}: {first_line(e)[:200]})") from None
        length = self.tokenizer.model_max_length
        if isinstance(length, bool) or not isinstance(length, int) or not 2 <= length <= MAX_TOKENS:
            raise SQLDiffusionError(f"{folder}: model_max_length {length!r} is not a whole number from 2 to "
                                    f"{MAX_TOKENS}; set it in tokenizer_config.json (77 for Stable Diffusion)")
        self.folder = folder

    @property
    def model_max_length(self) -> int:
        """The length of every sequence of ids it makes (77 for Stable Diffusion)."""
        return self.tokenizer.model_max_length

    def __call__(self, prompts: str | Sequence[str], on_cut: Callable[[str], None] | None = None) -> np.ndarray:
        """The ids (B, model_max_length), int64, of a prompt or a list of them: the start token, the
        prompt's, the end token, then padding; a prompt of more tokens is cut to fit, reported to
        `on_cut` (one line per call, default: this module's logger) as diffusers reports it."""
        batch = list(prompts) if isinstance(prompts, (list, tuple)) else [prompts]
        if not batch:
            raise SQLDiffusionError("no prompt given; give at least one (an empty one is allowed)")
        batch = [checked_prompt(p) for p in batch]
        length = self.model_max_length
        ids = np.asarray(self.tokenizer(batch, padding="max_length", max_length=length, truncation=True).input_ids,
                         dtype=np.int64)
        cut = self.cut_text(batch, ids)
        if cut is not None:
            (on_cut or log.warning)(cut)
        return ids

    def cut_text(self, batch: list[str], ids: np.ndarray) -> str | None:
        """The line saying what of the prompts was cut, as diffusers' encode_prompt logs it (the
        tokens between model_max_length - 1 and the end token), or None if nothing was."""
        # a token per byte at most, and the start and end tokens: a bound that never cuts a checked
        # prompt, given so that transformers does not warn of a sequence longer than the model's
        untruncated = self.tokenizer(batch, padding="longest", truncation=True,
                                     max_length=MAX_PROMPT_BYTES + 2).input_ids
        if len(untruncated[0]) < ids.shape[1] or np.array_equal(np.asarray(untruncated), ids):
            return None
        length = self.model_max_length
        removed = self.tokenizer.batch_decode([row[length - 1:-1] for row in untruncated])
        return (f"The following part of your input was truncated because CLIP can only handle sequences up to "
                f"{length} tokens: {removed}")
