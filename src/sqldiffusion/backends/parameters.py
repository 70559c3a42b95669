"""How each layer's diffusers tensors become one matrix, the form every backend stores them from.

Rows are output features or channels; a bias, where there is one, is the last column, so that a
single dot product with the input vector extended by 1.0 gives `W x + b`.
"""

from __future__ import annotations

import numpy as np

from ..graph.ops import Layer


def layer_matrix(layer: Layer, tensors: dict[str, np.ndarray]) -> np.ndarray:
    """The float32 matrix stored for `layer` (rows x columns)."""
    p = layer.module
    if layer.packing == "norm":
        return np.stack([tensors[f"{p}.weight"], tensors[f"{p}.bias"]])
    if layer.packing == "dense":
        weight, bias = tensors[f"{p}.weight"], bias_of(tensors, p)
        if layer.rows is not None:
            weight, bias = weight[slice(*layer.rows)], bias[slice(*layer.rows)]
        return _with_bias(weight.reshape(weight.shape[0], -1), bias)
    if layer.packing == "embedding":  # (classes, features): one-hot inputs times its transpose pick a row
        table = tensors[f"{p}.weight"]
        return _with_bias(table.T, np.zeros(table.shape[1], dtype=np.float32))
    if layer.packing == "conv3x3":
        weight, bias = tensors[f"{p}.weight"], bias_of(tensors, p)
        if layer.rows is not None:  # some of its output channels (an AutoencoderKL's conv_out halves)
            weight, bias = weight[slice(*layer.rows)], bias[slice(*layer.rows)]
        # (out, in, ky, kx) -> columns ordered (ky, kx, in) like the im2col rows
        return _with_bias(weight.transpose(0, 2, 3, 1).reshape(weight.shape[0], -1), bias)
    if layer.packing == "qkv":
        rows = [_with_bias(tensors[f"{m}.weight"], bias_of(tensors, m)) for m in qkv_modules(layer)]
        return np.concatenate(rows)
    if layer.packing == "kv":
        base = p.removesuffix(".kv")
        return np.concatenate([_with_bias(tensors[f"{base}.to_{k}.weight"], bias_of(tensors, f"{base}.to_{k}"))
                               for k in "kv"])
    if layer.packing == "rows":  # (entries, features): read one row per pixel by `lookup`
        return np.ascontiguousarray(tensors[f"{p}.weight"], dtype=np.float32)
    raise ValueError(f"unknown layer packing {layer.packing}")


def matrix_shape(layer: Layer) -> tuple[int, int]:
    """The (rows, columns) of `layer_matrix(layer, ...)`, from the shapes the layer declares: what
    a stored table is checked against without its tensors."""
    p, shapes = layer.module, layer.tensors
    if layer.packing == "norm":
        return 2, shapes[f"{p}.weight"][0]
    if layer.packing == "dense":
        out, *inputs = shapes[f"{p}.weight"]
        if layer.rows is not None:
            out = len(range(out)[slice(*layer.rows)])
        return out, int(np.prod(inputs)) + 1
    if layer.packing == "embedding":
        classes, features = shapes[f"{p}.weight"]
        return features, classes + 1
    if layer.packing == "conv3x3":
        out, cin, ky, kx = shapes[f"{p}.weight"]
        if layer.rows is not None:
            out = len(range(out)[slice(*layer.rows)])
        return out, cin * ky * kx + 1
    if layer.packing == "qkv":
        out, cin = shapes[f"{qkv_modules(layer)[0]}.weight"]
        return 3 * out, cin + 1
    if layer.packing == "kv":
        out, cin = shapes[f"{p.removesuffix('.kv')}.to_k.weight"]
        return 2 * out, cin + 1
    if layer.packing == "rows":
        entries, features = shapes[f"{p}.weight"]
        return entries, features
    raise ValueError(f"unknown layer packing {layer.packing}")


def qkv_modules(layer: Layer) -> list[str]:
    """The query, key and value modules a "qkv" layer stacks: those whose weights it declares, in
    that order (diffusers' to_q, to_k, to_v; transformers' CLIP q_proj, k_proj, v_proj)."""
    modules = [name.removesuffix(".weight") for name in layer.tensors if name.endswith(".weight")]
    if len(modules) != 3:
        raise ValueError(f"qkv layer {layer.name} declares {len(modules)} weights, not 3")
    return modules


def bias_of(tensors: dict[str, np.ndarray], module: str) -> np.ndarray:
    """The bias of a Linear or convolution `module`; zeros for one made without (`bias=False`, as
    TAESD's resampling convolutions are: their layers declare no bias tensor)."""
    bias = tensors.get(f"{module}.bias")
    return np.zeros(tensors[f"{module}.weight"].shape[0], dtype=np.float32) if bias is None else bias


def _with_bias(weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    return np.concatenate([weight, bias[:, None]], axis=1).astype(np.float32)


def flat_columns(flat: np.ndarray) -> dict[str, np.ndarray]:
    """`flat` as two numpy columns that DuckDB scans in place once `register`ed: `i`, each value's
    flat index, and `a`, the value as float32. Faster than one stacked (2, N) float64 array: no
    copy at double width (fresh memory costs seconds per GB to touch on some virtual machines)."""
    return {"i": _indices(flat.size), "a": np.ascontiguousarray(flat, dtype=np.float32)}


_INDEX = np.arange(0, dtype=np.int64)


def _indices(n: int) -> np.ndarray:
    """0 .. n-1, a view of one array kept across calls (a model's import asks hundreds of times)."""
    global _INDEX
    if _INDEX.size < n:
        _INDEX = np.arange(max(n, 2 * _INDEX.size), dtype=np.int64)
    return _INDEX[:n]


def column_difference(found: list[str], expected: list[str]) -> str:
    """What a stored table's columns (`found`, "name type") have other than the layout's, in words."""
    extra = [c for c in found if c not in expected]
    missing = [c for c in expected if c not in found]
    said = ([f"has columns {', '.join(extra[:3])} the layout has not"] if extra else []) + \
        ([f"lacks columns {', '.join(missing[:3])}"] if missing else [])
    return " and ".join(said) or "has the layout's columns in another order"
