"""How each layer's tensors become the rows the engine stores: one matrix per layer.

Rows are output features or channels; a bias, where there is one, is the last column, so that a
single dot product with the input vector extended by 1.0 gives `W x + b`.
"""

from __future__ import annotations

import numpy as np

from ..graph.ops import Layer


def layer_matrix(layer: Layer, tensors: dict[str, np.ndarray]) -> np.ndarray:
    """The float32 matrix stored for `layer` (rows x columns)."""
    p = layer.name
    if layer.kind == "norm":
        return np.stack([tensors[f"{p}.weight"], tensors[f"{p}.bias"]])
    if layer.kind == "dense":
        weight = tensors[f"{p}.weight"]
        return _with_bias(weight.reshape(weight.shape[0], -1), tensors[f"{p}.bias"])
    if layer.kind == "conv3x3":
        weight = tensors[f"{p}.weight"]  # (out, in, ky, kx) -> columns ordered (ky, kx, in) like the im2col rows
        return _with_bias(weight.transpose(0, 2, 3, 1).reshape(weight.shape[0], -1), tensors[f"{p}.bias"])
    if layer.kind == "qkv":
        base = p.removesuffix(".qkv")
        rows = [_with_bias(tensors[f"{base}.to_{k}.weight"], tensors[f"{base}.to_{k}.bias"]) for k in "qkv"]
        return np.concatenate(rows)
    raise ValueError(f"unknown layer kind {layer.kind}")


def _with_bias(weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    return np.concatenate([weight, bias[:, None]], axis=1).astype(np.float32)


# Winograd F(m x m, 3 x 3) (Lavin and Gray, 2015): an m x m output tile is A^T [(G g G^T) * (B^T d B)] A for
# the (m+2) x (m+2) input tile d and the 3x3 kernel g: (m+2)^2 multiplications per input channel where
# direct takes 9 m^2 (F(2x2): 16 for 36; F(4x4): 36 for 144).
WINOGRAD = {
    2: (np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]),                   # B^T
        np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]),                      # G
        np.array([[1, 1, 1, 0], [0, 1, -1, -1]])),                                                # A^T
    4: (np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                  [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]),
        np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
                  [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]]),
        np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]])),
}


# The parameter variants holding Winograd kernels (see `Layer.variants`), by output tile size m.
WINOGRAD_VARIANTS = {f"winograd{m}": m for m in WINOGRAD}


def winograd_weights(layer: Layer, tensors: dict[str, np.ndarray], tile: int) -> tuple[np.ndarray, np.ndarray]:
    """The transformed kernels U = G g G^T of a 3x3 conv for F(tile x tile, 3x3) as (n*n, out, in)
    float32, n = tile + 2, position-major (position n*i + j), and its bias.

    Transformed in float64 and rounded once, so the stored weights carry no error of their own.
    """
    g = WINOGRAD[tile][1]
    weight = tensors[f"{layer.name}.weight"].astype(np.float64)  # (out, in, 3, 3)
    u = np.einsum("ik,ockl,jl->ijoc", g, weight, g, optimize=True)
    return u.reshape(len(g) ** 2, *weight.shape[:2]).astype(np.float32), tensors[f"{layer.name}.bias"].astype(np.float32)
