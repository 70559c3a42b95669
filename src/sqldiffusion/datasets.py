"""Procedurally drawn butterflies: the training data of the shipped demo model.

No butterfly image set can be installed offline, so we draw them. Every butterfly is left-right
symmetric (drawn in |x|), with a forewing and a hindwing shaped as wobbly ellipses anchored at the
body, a base colour, a band, a dark margin, spots and veins, a body with antennae, and a small
random rotation, scale and offset on a light background. Everything is vectorised over the batch,
so thousands of 32x32 images take well under a second.

>>> images = draw_butterflies(16, size=32, seed=0)   # (16, 32, 32, 3) uint8
"""

from __future__ import annotations

from dataclasses import dataclass

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


# Per-picture measures a person would agree with, in the order quality_report prints them.
MEASURES = ("symmetry", "saturation", "background", "sharpness", "brightness", "colour_distance", "grain")
HISTOGRAM_LEVELS = 4  # colour histogram: 4 levels per channel, 64 bins
GRAIN_BORDER = 3  # grain is measured in this many pixels along each edge, where the data is mostly background


def picture_measures(images: np.ndarray, palette: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per-picture measures of uint8 (N, H, W, 3) pictures.

    symmetry: 1 - (mean absolute difference between the grey picture and its mirror image, at the
    best of small horizontal shifts near the centre) / (the picture's mean absolute deviation);
    1 is perfect, 0 no better than a flat picture. saturation: the median HSV saturation.
    background: the share of light, unsaturated pixels. sharpness: the 90th percentile of the grey
    picture's gradient magnitude (blur lowers it, speckle raises it). brightness: the mean.
    colour_distance: total variation distance (0..1) between the picture's colour histogram and
    `palette` (the pooled histogram of the training data; of the pictures themselves if None).
    grain: see `grain`.
    """
    x = images.astype(np.float64) / 255
    n, h, w, _ = x.shape
    grey = x.mean(axis=-1)
    shift = max(1, w // 10)
    core = slice(shift, w - shift)
    mirrored = grey[:, :, ::-1]
    difference = np.min([np.abs(grey[:, :, core] - np.roll(mirrored, s, axis=2)[:, :, core]).mean(axis=(1, 2))
                         for s in range(-shift, shift + 1)], axis=0)
    deviation = np.abs(grey - grey.mean(axis=(1, 2), keepdims=True)).mean(axis=(1, 2))
    symmetry = np.where(deviation > 1e-3, 1 - difference / np.maximum(deviation, 1e-3), 0.0)
    high, low = x.max(axis=-1), x.min(axis=-1)
    hsv_saturation = np.where(high > 0, (high - low) / np.maximum(high, 1e-9), 0.0)
    light = (grey > 0.72) & (high - low < 0.25)
    gy, gx = np.gradient(grey, axis=(1, 2))
    histograms = colour_histograms(images)
    reference = histograms.mean(axis=0) if palette is None else palette
    return dict(symmetry=symmetry, saturation=np.median(hsv_saturation.reshape(n, -1), axis=1),
                background=light.mean(axis=(1, 2)),
                sharpness=np.percentile(np.hypot(gx, gy).reshape(n, -1), 90, axis=1),
                brightness=grey.mean(axis=(1, 2)),
                colour_distance=0.5 * np.abs(histograms - reference).sum(axis=1),
                grain=grain(x))


def grain(x: np.ndarray, border: int = GRAIN_BORDER) -> np.ndarray:
    """Per picture of float (N, H, W, C) pictures in [0, 1]: the mean absolute 4-neighbour Laplacian
    (up + down + left + right - 4 x centre, each channel on its own) over the pixels within `border`
    pixels of the edge that have all four neighbours (rows and columns 1..border from each edge).

    A smooth background scores about 0 (a linear shade exactly 0), a speckled one in proportion to
    its speckle (about 3.6 times the standard deviation of Gaussian noise); the data's butterflies
    reach the edge in places, so its pictures score above 0 too. None of the other measures sees
    speckle in a background: they are medians, shares and means.
    """
    lap = x[:, :-2, 1:-1] + x[:, 2:, 1:-1] + x[:, 1:-1, :-2] + x[:, 1:-1, 2:] - 4 * x[:, 1:-1, 1:-1]
    frame = np.zeros(lap.shape[1:3], bool)
    frame[:border], frame[-border:], frame[:, :border], frame[:, -border:] = True, True, True, True
    return np.abs(lap[:, frame]).mean(axis=(1, 2))


def colour_histograms(images: np.ndarray) -> np.ndarray:
    """(N, 64) normalised colour histograms of uint8 (N, H, W, 3) pictures."""
    q = (images.astype(np.int64) * HISTOGRAM_LEVELS) // 256
    bins = (q[..., 0] * HISTOGRAM_LEVELS + q[..., 1]) * HISTOGRAM_LEVELS + q[..., 2]
    n = len(images)
    counts = np.zeros((n, HISTOGRAM_LEVELS ** 3))
    np.add.at(counts, (np.repeat(np.arange(n), bins[0].size), bins.reshape(-1)), 1)
    return counts / bins[0].size


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two (N, features) samples."""
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # trace of sqrt(cov_a cov_b) = sum of sqrt of the eigenvalues of sqrt(cov_a) cov_b sqrt(cov_a)
    values, vectors = np.linalg.eigh(cov_a)
    root_a = vectors @ np.diag(np.sqrt(np.clip(values, 0, None))) @ vectors.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


@dataclass
class QualityReport:
    """How a set of pictures measures against procedural butterflies (the training data).

    `pictures` and `data` hold per-picture measures (MEASURES); `histogram_distance` is the total
    variation distance between the pooled colour histograms of the set and of the data, and
    `frechet` the Frechet distance over all measures (each scaled by the data's spread); the
    `*_floor` values are the same for a fresh sample of data pictures of the set's size: what a
    perfect model would score by chance (the median of five such samples).
    """

    pictures: dict[str, np.ndarray]
    data: dict[str, np.ndarray]
    histogram_distance: float
    histogram_floor: float
    frechet: float
    frechet_floor: float

    def ranges(self, low: float = 5, high: float = 95) -> dict[str, tuple[float, float]]:
        return {k: tuple(np.percentile(self.data[k], [low, high])) for k in MEASURES}

    def outside(self) -> list[str]:
        """Measures whose median over the set lies outside the data's 5th-95th percentile range."""
        ranges = self.ranges()
        return [k for k in MEASURES if not ranges[k][0] <= np.median(self.pictures[k]) <= ranges[k][1]]

    def ratios(self) -> dict[str, float]:
        """The headline ratios, set / data: symmetry mean, saturation median and grain mean (grainy
        backgrounds are a few pictures in a set, which a median would hide)."""
        return dict(symmetry=float(self.pictures["symmetry"].mean() / self.data["symmetry"].mean()),
                    saturation=float(np.median(self.pictures["saturation"]) / np.median(self.data["saturation"])),
                    grain=float(self.pictures["grain"].mean() / self.data["grain"].mean()))

    def table(self) -> str:
        ranges = self.ranges()
        lines = [f"{'measure':<16}{'mean':>8}{'median':>8}   {'data mean':>9}{'median':>8}  {'data 5%..95%':>14}"]
        for k in MEASURES:
            mine, theirs = self.pictures[k], self.data[k]
            flag = "" if ranges[k][0] <= np.median(mine) <= ranges[k][1] else "  outside"
            lines.append(f"{k:<16}{mine.mean():8.3f}{np.median(mine):8.3f}   {theirs.mean():9.3f}"
                         f"{np.median(theirs):8.3f}  {ranges[k][0]:6.3f}..{ranges[k][1]:.3f}{flag}")
        lines.append(f"{'colour histogram distance':<32}{self.histogram_distance:8.3f}"
                     f"   (a data sample of the same size: {self.histogram_floor:.3f})")
        lines.append(f"{'Frechet distance (measures)':<32}{self.frechet:8.3f}"
                     f"   (a data sample of the same size: {self.frechet_floor:.3f})")
        ratios = self.ratios()
        lines.append(f"symmetry mean {ratios['symmetry']:.2f}x the data's, saturation median "
                     f"{ratios['saturation']:.2f}x, grain mean {ratios['grain']:.2f}x, "
                     f"{len(MEASURES) - len(self.outside())}/{len(MEASURES)} measures inside the data's 5-95% range")
        return "\n".join(lines)


def quality_report(images: np.ndarray, reference: int = 2000, seed: int = 12345) -> QualityReport:
    """Measure uint8 (N, H, W, 3) pictures against `reference` procedural butterflies of their size."""
    n, size = len(images), images.shape[1]
    data_images = draw_butterflies(reference, size, seed=seed)
    palette = colour_histograms(data_images).mean(axis=0)
    data, pictures = picture_measures(data_images, palette), picture_measures(images, palette)
    scale = {k: data[k].std() or 1.0 for k in MEASURES}
    features = lambda m: np.stack([m[k] / scale[k] for k in MEASURES], axis=1)  # noqa: E731
    histogram_distance = lambda imgs: float(0.5 * np.abs(colour_histograms(imgs).mean(axis=0) - palette).sum())  # noqa: E731
    # the floor: the median over five fresh data samples as large as the set (small sets score noisily)
    fresh = [draw_butterflies(n, size, seed=seed + 1 + i) for i in range(5)]
    return QualityReport(
        pictures=pictures, data=data,
        histogram_distance=histogram_distance(images),
        histogram_floor=float(np.median([histogram_distance(f) for f in fresh])),
        frechet=frechet_distance(features(pictures), features(data)),
        frechet_floor=float(np.median([frechet_distance(features(picture_measures(f, palette)), features(data))
                                       for f in fresh])))


def draw_pool(n: int, size: int = 32, seed: int = 0, workers: int | None = None, chunk: int = 2048) -> np.ndarray:
    """`n` butterflies drawn in chunks on all cores (a training pool); chunk `i` uses seed (seed, i)."""
    import concurrent.futures
    import os

    starts = list(range(0, n, chunk))
    jobs = [(min(chunk, n - s), size, [seed, i]) for i, s in enumerate(starts)]
    with concurrent.futures.ProcessPoolExecutor(workers or os.cpu_count()) as pool:
        parts = list(pool.map(_draw_chunk, jobs))
    return np.concatenate(parts)


def _draw_chunk(job) -> np.ndarray:
    count, size, seed = job
    return draw_butterflies(count, size, seed=seed)


def main(argv: list[str] | None = None) -> None:
    """python -m sqldiffusion.datasets --count 400000 --out pool.npy: a training pool on all cores."""
    import argparse
    import time

    parser = argparse.ArgumentParser(prog="python -m sqldiffusion.datasets", description=main.__doc__)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--out", required=True, help="the .npy file to write: uint8 (count, size, size, 3)")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    began = time.time()
    np.save(args.out, draw_pool(args.count, args.size, args.seed, args.workers))
    print(f"{args.count} butterflies of {args.size}x{args.size} in {args.out} ({time.time() - began:.1f} s)")


if __name__ == "__main__":
    main()
