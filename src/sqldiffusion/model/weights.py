"""Weight files: read safetensors (fp32, fp16, bf16) into float32 arrays and check them against the graph."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

from ..errors import SQLDiffusionError
from ..fields import shown

_DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2"), "F64": np.dtype("<f8")}

# Checkpoints written before diffusers 0.14 name the attention projections differently.
_DEPRECATED_ATTENTION = {".query.": ".to_q.", ".key.": ".to_k.", ".value.": ".to_v.", ".proj_attn.": ".to_out.0."}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """All tensors of a safetensors file as float32 arrays (bf16 widened exactly)."""
    path = Path(path)

    def bad(why: str) -> SQLDiffusionError:
        return SQLDiffusionError(f"{path}: not a valid safetensors file ({why}); re-download or re-save the model")

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SQLDiffusionError(f"{path}: no such weight file") from None
    return _decode(data, bad)


def _decode(data, bad) -> dict[str, np.ndarray]:
    if len(data) < 8:
        raise bad("shorter than its 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise bad("header runs past the end of the file")
    try:
        header = json.loads(bytes(data[8:8 + n]))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise bad("header is not JSON") from None
    except RecursionError:
        raise bad("header is nested too deeply") from None
    if not isinstance(header, dict):
        raise bad("header is not a JSON object")
    start = 8 + n
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype_name, shape, (begin, end) = info["dtype"], tuple(info["shape"]), info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise bad(f"entry {shown(name)} lacks dtype, shape or data_offsets") from None
        if not all(_whole(v) for v in (*shape, begin, end)):
            raise bad(f"tensor {shown(name)} has a shape or data offsets that are not whole numbers")
        if not isinstance(dtype_name, str) or dtype_name not in _DTYPES:
            raise bad(f"tensor {shown(name)} has dtype {shown(dtype_name)}; only F32, F16, BF16 and F64 are supported")
        dtype = _DTYPES[dtype_name]
        count = int(np.prod(shape, dtype=np.int64))
        if not (0 <= begin <= end <= len(data) - start) or end - begin != count * dtype.itemsize:
            raise bad(f"tensor {shown(name)} data does not match its shape {list(shape)}")
        raw = np.frombuffer(data, dtype=dtype, count=count, offset=start + begin)
        if dtype_name == "BF16":  # bfloat16 is the top half of a float32
            array = (raw.astype(np.uint32) << 16).view(np.float32)
        else:
            array = raw.astype(np.float32)
        tensors[name] = array.reshape(shape)
    return tensors


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
    """Every expected tensor present with its shape, and nothing else: one line naming the first problem."""
    for name, shape in expected.items():
        if name not in tensors:
            raise SQLDiffusionError(f"{source}: tensor {name!r} is missing; the weights do not match config.json")
        if tuple(tensors[name].shape) != tuple(shape):
            raise SQLDiffusionError(
                f"{source}: tensor {name!r} has shape {list(tensors[name].shape)} but config.json implies "
                f"{list(shape)}; the weights do not match config.json"
            )
    extra = sorted(set(tensors) - set(expected))
    if extra:
        raise SQLDiffusionError(
            f"{source}: unexpected tensor {extra[0]!r} ({len(extra)} in all); the weights belong to another "
            "architecture or config.json lists an option sqldiffusion does not model"
        )
    for name, array in tensors.items():
        if not np.isfinite(array).all():
            raise SQLDiffusionError(f"{source}: tensor {name!r} holds NaN or infinite values")
