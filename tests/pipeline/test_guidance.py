"""Classifier-free guidance in SQL against diffusers' arithmetic: `u + g (c - u)` and rescale_noise_cfg."""

import numpy as np
import pytest
import torch
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import rescale_noise_cfg

from sqldiffusion.errors import SQLDiffusionError
from sqldiffusion.guidance import GUIDED, UNGUIDED, Guidance
from sqldiffusion.program import SAMPLE


def reference(predictions: np.ndarray, scale: float, rescale: float) -> np.ndarray:
    unconditional, conditional = torch.from_numpy(predictions).chunk(2)
    guided = unconditional + scale * (conditional - unconditional)
    if rescale:
        guided = rescale_noise_cfg(guided, conditional, guidance_rescale=rescale)
    return guided.numpy()


@pytest.mark.parametrize("scale, rescale", [(7.5, 0.0), (3.0, 0.7)])
def test_guided_prediction_matches_diffusers(every_engine, scale, rescale):
    predictions = np.random.default_rng(0).standard_normal((4, 3, 4, 5)).astype(np.float32)
    guidance = Guidance(scale, batch=2, rescale=rescale)
    every_engine.put_image("sqld_test_predictions", predictions)
    try:
        guided = every_engine.fetch_image(guidance.combine(every_engine, "sqld_test_predictions", 3), (2, 3, 4, 5))
    finally:
        every_engine.drop("sqld_test_predictions", GUIDED)
    expected = reference(predictions, scale, rescale)
    assert np.abs(guided - expected).max() <= 1e-5 * np.ptp(expected)


def test_doubled_sample_is_the_batch_twice_and_is_restored(engine):
    sample = np.random.default_rng(1).standard_normal((2, 3, 4, 4)).astype(np.float32)
    engine.put_image(SAMPLE, sample)
    guidance = Guidance(7.5, batch=2)
    try:
        guidance.double_sample(engine, 3)
        np.testing.assert_array_equal(engine.fetch_image(SAMPLE, (4, 3, 4, 4)), np.concatenate([sample, sample]))
        guidance.restore_sample(engine)
        np.testing.assert_array_equal(engine.fetch_image(SAMPLE, (2, 3, 4, 4)), sample)
    finally:
        engine.drop(SAMPLE, UNGUIDED)


@pytest.mark.parametrize("scale, rescale, said", [
    (float("nan"), 0.0, "guidance_scale is nan"),
    ("7", 0.0, "guidance_scale is '7'"),
    (7.5, 1.5, "guidance_rescale is 1.5; give a number from 0 to 1"),
    (1e9, 0.0, "guidance_scale is 1000000000.0"),
])
def test_bad_guidance_gets_one_line(scale, rescale, said):
    with pytest.raises(SQLDiffusionError, match=said) as raised:
        Guidance(scale, batch=1, rescale=rescale)
    assert "\n" not in str(raised.value)
