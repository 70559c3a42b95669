"""Winograd's minimal filtering for 3x3 convolutions: the transform matrices and the kernels
transformed once, at import (the dialect's `winograd_conv3x3` applies the input and output transforms)."""

from __future__ import annotations

import numpy as np

from ..parameters import bias_of

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


def winograd_weights(name: str, tensors: dict[str, np.ndarray], tile: int) -> tuple[np.ndarray, np.ndarray]:
    """The transformed kernels U = G g G^T of the 3x3 conv `name` for F(tile x tile, 3x3) as (n*n, out, in)
    float32, n = tile + 2, position-major (position n*i + j), and its bias.

    Transformed in float64 and rounded once, so the stored weights carry no error of their own; a
    few output channels at a time, so that the float64 temporaries stay small (allocating them whole
    made a large model's import seconds slower).
    """
    g = WINOGRAD[tile][1]
    weight = tensors[f"{name}.weight"]  # (out, in, 3, 3)
    out, cin = weight.shape[:2]
    kernels = np.empty((len(g) ** 2, out, cin), dtype=np.float32)
    step = max(1, (1 << 17) // (len(g) ** 2 * cin))  # about 1 MiB of float64 per step
    for o in range(0, out, step):
        u = np.einsum("ik,ockl,jl->ijoc", g, weight[o:o + step].astype(np.float64), g, optimize=True)
        kernels[:, o:o + step] = u.reshape(len(g) ** 2, -1, cin)
    return kernels, bias_of(tensors, name).astype(np.float32)
