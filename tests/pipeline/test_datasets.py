"""The procedural training data and the quality measures, against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from sqldiffusion.datasets import (
    colour_histograms,
    draw_butterflies,
    draw_pool,
    frechet_distance,
    picture_measures,
    quality_report,
)


def test_a_mirror_symmetric_picture_scores_one_and_a_one_sided_one_far_less():
    rng = np.random.default_rng(0)
    half = rng.integers(0, 256, (2, 16, 8, 3), dtype=np.uint8)
    symmetric = np.concatenate([half, half[:, :, ::-1]], axis=2)
    lopsided = symmetric.copy()
    lopsided[:, :, 8:] = 255  # the right half blank
    assert picture_measures(symmetric)["symmetry"] == pytest.approx([1, 1])
    assert (picture_measures(lopsided)["symmetry"] < 0.5).all()
    assert picture_measures(np.full((1, 16, 16, 3), 200, np.uint8))["symmetry"][0] == 0  # flat: no picture


def test_saturation_brightness_and_sharpness_by_hand():
    picture = np.zeros((1, 8, 8, 3), np.uint8)
    picture[0, :, :, 0] = 200           # pure red everywhere: HSV saturation 1
    picture[0, :, 4:, 1:] = 200         # right half grey-white: saturation 0, a step edge
    m = picture_measures(picture)
    assert m["saturation"][0] == pytest.approx(0.5)  # median of 32 ones and 32 zeros
    assert m["brightness"][0] == pytest.approx((200 / 3 * 32 + 200 * 32) / 64 / 255)
    # grey jumps by 400/3/255 at the edge; np.gradient's central difference halves it on both sides
    # of the step: 16 of 64 pixels, so the 90th percentile is that half step
    assert m["sharpness"][0] == pytest.approx(400 / 3 / 255 / 2)


def test_colour_histograms_count_pixels_in_64_bins():
    picture = np.zeros((1, 4, 4, 3), np.uint8)
    picture[0, :2] = (255, 0, 0)
    h = colour_histograms(picture)
    assert h.shape == (1, 64) and h.sum() == pytest.approx(1)
    assert h[0, 0] == pytest.approx(0.5) and h[0, 3 * 16] == pytest.approx(0.5)


def test_frechet_distance_of_shifted_gaussians_is_the_squared_shift():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((20000, 3))
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-6)
    assert frechet_distance(a, a + [1, 2, 0]) == pytest.approx(5, rel=1e-6)
    # equal means, variances 1 and 4 in one dimension: (sqrt(1) - sqrt(4))^2 = 1
    b = a * [2, 1, 1]
    assert frechet_distance(a, b) == pytest.approx(1, rel=0.05)


def test_fresh_data_passes_the_report_and_noise_fails_it():
    data = quality_report(draw_butterflies(64, 32, seed=99), reference=500)
    assert data.outside() == [] and 0.8 < data.ratios()["symmetry"] < 1.25, data.table()
    noise = np.random.default_rng(0).integers(0, 256, (64, 32, 32, 3), dtype=np.uint8)
    bad = quality_report(noise, reference=500)
    assert len(bad.outside()) >= 4 and bad.frechet > 50 * max(data.frechet, 0.1), bad.table()


def test_a_pool_is_drawn_in_chunks_that_repeat_by_seed():
    pool = draw_pool(10, size=16, seed=3, workers=2, chunk=4)
    assert pool.shape == (10, 16, 16, 3) and pool.dtype == np.uint8
    assert (pool[4:8] == draw_butterflies(4, 16, seed=[3, 1])).all()
    assert (draw_pool(10, size=16, seed=3, workers=1, chunk=4) == pool).all()
