"""Procedurally drawn butterflies: the training data of the shipped demo model.

No butterfly image set can be installed offline, so we draw them. Every butterfly is left-right
symmetric (drawn in |x|), with a forewing and a hindwing shaped as wobbly ellipses anchored at the
body, a base colour, a band, a dark margin, spots and veins, a body with antennae, and a small
random rotation, scale and offset on a light background. Everything is vectorised over the batch,
so thousands of 32x32 images take well under a second.

>>> images = draw_butterflies(16, size=32, seed=0)   # (16, 32, 32, 3) uint8
"""

from __future__ import annotations

import numpy as np

# Natural wing colours (RGB in [0, 1]): oranges, browns, blues, whites, yellows, near-black.
WING_COLOURS = np.array([
    [0.93, 0.55, 0.12], [0.85, 0.33, 0.08], [0.45, 0.27, 0.12], [0.60, 0.40, 0.20],
    [0.20, 0.45, 0.85], [0.50, 0.72, 0.95], [0.95, 0.95, 0.90], [0.96, 0.84, 0.25],
    [0.15, 0.12, 0.10],
])
# Light backgrounds: white, beige, pale green, pale blue, pale grey.
BACKGROUNDS = np.array([
    [0.97, 0.97, 0.96], [0.95, 0.92, 0.84], [0.88, 0.94, 0.86], [0.87, 0.92, 0.97], [0.92, 0.92, 0.92],
])
DARK = np.array([0.10, 0.08, 0.07])

SUPERSAMPLE = 2  # drawn at 2x and averaged: smooth edges
BACKGROUND, BASE, BAND, MARGIN, SPOT, BODY = range(6)  # paints, indices into each image's palette


def draw_butterflies(n: int, size: int = 32, seed: int | None = 0) -> np.ndarray:
    """`n` random butterflies as uint8 RGB images of shape (n, size, size, 3)."""
    if n < 1 or size < 8:
        raise ValueError("draw at least one butterfly of at least 8x8 pixels")
    rng = np.random.default_rng(seed)
    p = _parameters(rng, n)
    g = size * SUPERSAMPLE
    axis = ((np.arange(g) + 0.5) / g * 2 - 1).astype(np.float32)
    v, u = np.meshgrid(axis, axis, indexing="ij")          # v down, u right, both in [-1, 1]
    x, y = _body_frame(u[None], v[None], p)                 # (n, g, g) in the butterfly's frame
    label, vein = _wing_labels(np.abs(x), y, p)
    label[_body(x, y)] = BODY
    palette = np.stack([p["background"], p["base"], p["band"], np.broadcast_to(DARK, (n, 3)), p["spot"],
                        np.broadcast_to(DARK, (n, 3))], axis=1).astype(np.float32)   # (n, 6, 3)
    image = palette[np.arange(n)[:, None, None], label]
    image *= np.where(vein, np.float32(0.55), np.float32(1))[..., None]
    image += np.where(label == BACKGROUND, p["shade"] * v[None], 0)[..., None]  # a gentle shade
    image = image.reshape(n, size, SUPERSAMPLE, size, SUPERSAMPLE, 3).mean(axis=(2, 4))
    return np.clip(np.round(image * 255), 0, 255).astype(np.uint8)


def to_model_range(images: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W, 3) -> float32 (N, 3, H, W) in [-1, 1], the range DDPM models are trained on."""
    return (images.transpose(0, 3, 1, 2).astype(np.float32) / 127.5) - 1.0


def _parameters(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    col = lambda a: a.reshape(n, 1, 1).astype(np.float32)  # noqa: E731 - broadcast one value per image over the pixels
    u = lambda lo, hi: col(rng.uniform(lo, hi, n))  # noqa: E731
    jitter = lambda c: np.clip(c + rng.normal(0, 0.04, c.shape), 0, 1)  # noqa: E731
    base = rng.integers(0, len(WING_COLOURS), n)
    band = (base + rng.integers(1, len(WING_COLOURS), n)) % len(WING_COLOURS)
    spot_white = rng.random(n) < 0.6
    return dict(
        angle=u(-0.25, 0.25), scale=u(1.0, 1.3), dx=u(-0.08, 0.08), dy=u(-0.06, 0.06),
        fore_dir=u(-1.05, -0.55), fore_len=u(0.50, 0.68), fore_width=u(0.22, 0.32),
        hind_dir=u(0.45, 0.95), hind_len=u(0.34, 0.48), hind_width=u(0.20, 0.30),
        wobble=u(0.0, 0.12), lobes=col(rng.integers(3, 7, n).astype(float)), phase=u(0, 2 * np.pi),
        band_at=u(0.35, 0.65), band_width=u(0.08, 0.22), has_band=(rng.random(n) < 0.75).reshape(n, 1, 1),
        margin=u(0.78, 0.92), spot_r=u(0.06, 0.12), spot_at=u(0.55, 0.80),
        hind_spot=(rng.random(n) < 0.6).reshape(n, 1, 1), veins=col(rng.integers(4, 8, n).astype(float)),
        base=jitter(WING_COLOURS[base]), band=jitter(WING_COLOURS[band]),
        spot=np.where(spot_white[:, None], [0.97, 0.97, 0.95], [0.08, 0.08, 0.10]),
        background=jitter(BACKGROUNDS[rng.integers(0, len(BACKGROUNDS), n)]),
        shade=u(-0.05, 0.05),
    )


def _body_frame(u, v, p):
    """Pixel coordinates in the butterfly's own frame: rotated, scaled and shifted."""
    du, dv = u - p["dx"], v - p["dy"]
    cos, sin = np.cos(p["angle"]), np.sin(p["angle"])
    return (cos * du + sin * dv) / p["scale"], (-sin * du + cos * dv) / p["scale"]


def _wing(x, y, p, prefix, anchor_y):
    """Elliptic distance (1 on the outline) and the coordinates along/across one wing."""
    direction, length, width = p[prefix + "_dir"], p[prefix + "_len"] * 0.55, p[prefix + "_width"]
    cos, sin = np.cos(direction), np.sin(direction)
    dx, dy = x - cos * length, y - anchor_y - sin * length
    along, across = (dx * cos + dy * sin) / length, (dy * cos - dx * sin) / width
    rho = np.sqrt(along ** 2 + across ** 2)
    wobble = 1 + p["wobble"] * np.sin(p["lobes"] * np.arctan2(across, along) + p["phase"])
    return rho / wobble, along, across


def _wing_labels(x, y, p):
    """Per pixel: which paint it gets (BACKGROUND, BASE, BAND, MARGIN, SPOT), and whether a vein darkens it."""
    fore, fore_along, fore_across = _wing(x, y, p, "fore", -0.05)
    hind, hind_along, hind_across = _wing(x, y, p, "hind", 0.05)
    on_fore = fore < 1
    rho = np.where(on_fore, fore, hind)
    label = np.where(rho < 1, BASE, BACKGROUND).astype(np.int8)
    label[(rho < 1) & p["has_band"] & (np.abs(rho - p["band_at"]) < p["band_width"] / 2)] = BAND
    label[(rho < 1) & (rho > p["margin"])] = MARGIN
    spot_fore = (fore_along - p["spot_at"]) ** 2 + (fore_across * 0.6) ** 2 < p["spot_r"] ** 2 * 4
    spot_hind = p["hind_spot"] & ((hind_along - 0.45) ** 2 + (hind_across * 0.6) ** 2 < p["spot_r"] ** 2 * 3)
    label[np.where(on_fore, spot_fore, spot_hind & (hind < 1))] = SPOT
    # Veins: thin dark rays from the wing base, every 1/veins of a half turn.
    ray = np.arctan2(y - np.where(on_fore, -0.05, 0.05), x + 1e-6) * p["veins"] / np.pi
    vein = (np.abs(ray - np.round(ray)) < 0.05) & (rho > 0.25) & (label != BACKGROUND) & (label != MARGIN)
    return label, vein


def _body(x, y):
    body = (x / 0.045) ** 2 + ((y - 0.02) / 0.42) ** 2 < 1
    head = x ** 2 + (y + 0.42) ** 2 < 0.055 ** 2
    # Antennae: two segments from the head, up and outwards, mirrored.
    t = np.clip((-(y + 0.45)) / 0.35, 0, 1)
    antenna = (np.abs(np.abs(x) - (0.02 + 0.22 * t)) < 0.018) & (y < -0.45) & (y > -0.80)
    return body | head | antenna


def picture_statistics(images: np.ndarray) -> dict[str, np.ndarray]:
    """Per-image measures that tell drawn butterflies from other pictures (uint8 (N, H, W, 3) input).

    symmetry: mean absolute difference (0..1) between an image and its mirror image, at the best
    of small horizontal shifts (the butterflies are jittered off the centre line); lower is more
    symmetric. background: the share of light, unsaturated pixels. brightness, saturation: means.
    edge_background: the share of background among the pixels of the outer frame.
    """
    x = images.astype(np.float64) / 255
    n, h, w, _ = x.shape
    brightness = x.mean(axis=-1)
    saturation = x.max(axis=-1) - x.min(axis=-1)
    shift = max(1, w // 10)
    mirrored = x[:, :, ::-1]
    core = slice(shift, w - shift)
    symmetry = np.min([np.abs(x[:, :, core] - np.roll(mirrored, s, axis=2)[:, :, core]).mean(axis=(1, 2, 3))
                       for s in range(-shift, shift + 1)], axis=0)
    light = (brightness > 0.72) & (saturation < 0.25)
    frame = np.ones((h, w), bool)
    frame[2:-2, 2:-2] = False
    return dict(symmetry=symmetry, background=light.mean(axis=(1, 2)), brightness=brightness.mean(axis=(1, 2)),
                saturation=saturation.mean(axis=(1, 2)), edge_background=light[:, frame].mean(axis=1))
