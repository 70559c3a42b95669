"""Weight files: read safetensors (fp32, fp16, bf16) into float32 arrays and check them against the graph."""

from __future__ import annotations

import json
import math
import os
import struct
from pathlib import Path

import numpy as np

from ..errors import SQLDiffusionError
from ..fields import shown
from .files import open_bounded

_DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2"), "F64": np.dtype("<f8")}
# integer tensors a file may hold beside the weights, by the end of their name: the position ids
# transformers saved in CLIP text encoders before 4.31 (a buffer, dropped when read: graph/clip.py)
_INTEGER_BUFFERS = {"I64": np.dtype("<i8")}
_BUFFER_NAMES = (".position_ids",)

# Checkpoints written before diffusers 0.14 name the attention projections differently.
_DEPRECATED_ATTENTION = {".query.": ".to_q.", ".key.": ".to_k.", ".value.": ".to_v.", ".proj_attn.": ".to_out.0."}


# safetensors' own limit on a header; and on a whole file, a bound far above any UNet2DModel (the
# largest public ones are under 1 GiB in fp32): the header must also declare every byte of it.
MAX_HEADER = 100 << 20
MAX_WEIGHTS = 64 << 30


def read_safetensors(path: Path, expected: dict[str, tuple[int, ...]] | None = None,
                     rename=None) -> dict[str, np.ndarray]:
    """All tensors of a safetensors file as float32 arrays (bf16 widened exactly). The header is
    checked before the data is read: the file must hold exactly the bytes it declares and, given
    `expected`, the tensors the graph takes under their names as `rename` gives them (default:
    `normalise_names`), so that a header cannot make us read more than the model is."""
    path = Path(path)
    bad = _complaint(path)
    with _open_weights(path) as f:
        size, start, entries = _layout(f, bad)
        if expected is not None:
            check_shapes((rename or normalise_names)({name: shape for name, _, shape, _ in entries}), expected,
                         str(path))
        data = f.read(size - start)
    if len(data) != size - start:
        raise bad("it changed while it was read")
    return {name: _array(data, dtype_name, shape, begin) for name, dtype_name, shape, begin in entries}


def hash_weights(path: Path, h) -> None:
    """Feed every byte of a checked safetensors file (as read_safetensors checks its layout) to `h`."""
    path = Path(path)
    with _open_weights(path) as f:
        size, _, _ = _layout(f, _complaint(path))
        f.seek(0)
        left = size
        while left > 0:
            block = f.read(min(left, 1 << 24))
            if not block:
                raise _complaint(path)("it changed while it was read")
            h.update(block)
            left -= len(block)


def check_weight_file(path: Path) -> None:
    """Refuse, in one line, a weight file that is not a regular file or whose header does not
    declare exactly its bytes (padding included): cheap, as only the header is read."""
    path = Path(path)
    with _open_weights(path) as f:
        _layout(f, _complaint(path))


def _complaint(path: Path):
    def bad(why: str) -> SQLDiffusionError:
        return SQLDiffusionError(f"{path}: not a valid safetensors file ({why}); re-download or re-save the model")
    return bad


def _open_weights(path: Path):
    try:
        return open_bounded(path, MAX_WEIGHTS, "a weight file")
    except FileNotFoundError:
        raise SQLDiffusionError(f"{path}: no such weight file") from None


def _layout(f, bad) -> tuple[int, int, list]:
    """(file size, where the data starts, [(name, dtype, shape, data offset)]) of an open
    safetensors file whose header has been read and checked against the file's size."""
    size = os.fstat(f.fileno()).st_size
    head = f.read(8)
    if len(head) < 8:
        raise bad("shorter than its 8-byte header length")
    (n,) = struct.unpack("<Q", head)
    if n > size - 8:
        raise bad("header runs past the end of the file")
    if n > MAX_HEADER:
        raise bad(f"a header of {n} bytes; safetensors allows {MAX_HEADER}")
    header = _header(f.read(n), bad)
    start = 8 + n
    entries, declared = [], 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype_name, shape, begin, end = _entry(name, info, bad)
        # Python's integers: a shape's count cannot wrap around as int64 arithmetic would
        itemsize = {**_DTYPES, **_INTEGER_BUFFERS}[dtype_name].itemsize
        if not (0 <= begin <= end <= size - start) or end - begin != math.prod(shape) * itemsize:
            raise bad(f"tensor {shown(name)} data does not match its shape {shown(list(shape))}")
        entries.append((name, dtype_name, shape, begin))
        declared = max(declared, end)
    if start + declared != size:
        raise bad(f"{size - start - declared} bytes after the data its header declares")
    return size, start, entries


def _header(raw: bytes, bad) -> dict:
    try:
        header = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise bad("header is not JSON") from None
    except RecursionError:
        raise bad("header is nested too deeply") from None
    if not isinstance(header, dict):
        raise bad("header is not a JSON object")
    return header


def _entry(name, info, bad) -> tuple[str, tuple[int, ...], int, int]:
    try:
        dtype_name, shape, (begin, end) = info["dtype"], tuple(info["shape"]), info["data_offsets"]
    except (KeyError, TypeError, ValueError):
        raise bad(f"entry {shown(name)} lacks dtype, shape or data_offsets") from None
    if not all(_whole(v) for v in (*shape, begin, end)):
        raise bad(f"tensor {shown(name)} has a shape or data offsets that are not whole numbers")
    if isinstance(dtype_name, str) and dtype_name in _INTEGER_BUFFERS and isinstance(name, str) \
            and name.endswith(_BUFFER_NAMES):
        return dtype_name, shape, begin, end
    if not isinstance(dtype_name, str) or dtype_name not in _DTYPES:
        raise bad(f"tensor {shown(name)} has dtype {shown(dtype_name)}; only F32, F16, BF16 and F64 are supported")
    return dtype_name, shape, begin, end


def _array(data: bytes, dtype_name: str, shape: tuple[int, ...], begin: int) -> np.ndarray:
    dtype = {**_DTYPES, **_INTEGER_BUFFERS}[dtype_name]
    raw = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=begin)
    if dtype_name == "BF16":  # bfloat16 is the top half of a float32
        array = (raw.astype(np.uint32) << 16).view(np.float32)
    else:
        array = raw.astype(np.float32)
    return array.reshape(shape)


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def normalise_names(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rename deprecated attention tensors (query/key/value/proj_attn) to today's diffusers names."""
    renamed = {}
    for name, array in tensors.items():
        for old, new in _DEPRECATED_ATTENTION.items():
            if ".attentions." in name and old in name:
                name = name.replace(old, new)
        renamed[name] = array
    return renamed


def check_tensors(tensors: dict[str, np.ndarray], expected: dict[str, tuple[int, ...]], source: str) -> None:
    """Every expected tensor present with its shape, nothing else, and every value finite: one line
    naming the first problem."""
    check_shapes({name: array.shape for name, array in tensors.items()}, expected, source)
    for name, array in tensors.items():
        if not np.isfinite(array).all():
            raise SQLDiffusionError(f"{source}: tensor {name!r} holds NaN or infinite values")


def check_shapes(shapes: dict[str, tuple[int, ...]], expected: dict[str, tuple[int, ...]], source: str) -> None:
    """Every expected tensor named with its shape, and nothing else (from a header or from arrays)."""
    for name, shape in expected.items():
        if name not in shapes:
            raise SQLDiffusionError(f"{source}: tensor {name!r} is missing; the weights do not match config.json")
        if tuple(shapes[name]) != tuple(shape):
            raise SQLDiffusionError(
                f"{source}: tensor {name!r} has shape {shown(list(shapes[name]))} but config.json implies "
                f"{list(shape)}; the weights do not match config.json"
            )
    extra = sorted(set(shapes) - set(expected))
    if extra:
        raise SQLDiffusionError(
            f"{source}: unexpected tensor {shown(extra[0])} ({len(extra)} in all); the weights belong to another "
            "architecture or config.json lists an option sqldiffusion does not model"
        )
