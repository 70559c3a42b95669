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


# Winograd F(2x2, 3x3) (Lavin and Gray, 2015): a 2x2 output tile is A^T [(G g G^T) * (B^T d B)] A for the
# 4x4 input tile d and the 3x3 kernel g, 16 multiplications per input channel where direct takes 36.
WINOGRAD_G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
WINOGRAD_BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]])
WINOGRAD_AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]])


def winograd_weights(layer: Layer, tensors: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The transformed kernels U = G g G^T of a 3x3 conv as (16, out, in) float32, position-major
    (position 4i + j of the 4x4 tile), and its bias.

    Transformed in float64 and rounded once, so the stored weights carry no error of their own.
    """
    weight = tensors[f"{layer.name}.weight"].astype(np.float64)  # (out, in, 3, 3)
    u = np.einsum("ik,ockl,jl->ijoc", WINOGRAD_G, weight, WINOGRAD_G)
    return u.reshape(16, *weight.shape[:2]).astype(np.float32), tensors[f"{layer.name}.bias"].astype(np.float32)
