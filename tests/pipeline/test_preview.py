"""Previews of a latent run, computed in SQL: the latent-to-RGB map and the stretched channels against
their numpy formulas (every channel count on DuckDB, the map once on PostgreSQL), a tiny
autoencoder's preview against diffusers' AutoencoderTiny decode of each step's latents, and --gif
of a latent model: each frame the step's previews, the last the full decode."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import random_sample
from test_autoencoders import KL, assert_close, decoded
from test_latent import kl  # noqa: F401 - the fixture: a pipeline folder on an AutoencoderKL, and a TAESD

from sqldiffusion import SQLDiffusionPipeline
from sqldiffusion.backends import get_engine
from sqldiffusion.cli import cli
from sqldiffusion.cli.writing import gif_frame
from sqldiffusion.events import StatementStarted, StepFinished
from sqldiffusion.pictures import enlargement
from sqldiffusion.preview import LATENT_RGB, SD_LATENT_RGB, LatentPreview
from sqldiffusion.sql_autoencoder import DECODE

LATENTS = "sqld_test_latents"


def latent2rgb(latents: np.ndarray, factors, bias) -> np.ndarray:
    """ComfyUI's preview: each pixel's latent channels times the factors (float32), plus the bias."""
    weights = np.asarray(factors, np.float32).astype(np.float64)
    return np.einsum("bchw,ck->bkhw", latents.astype(np.float64), weights) + np.asarray(bias)[None, :, None, None]


def stretched_channels(latents: np.ndarray) -> np.ndarray:
    """The first three channels (the mean of one or two, in all three), stretched per picture to [-1, 1]."""
    x = latents.astype(np.float64)
    picked = x[:, :3] if x.shape[1] >= 3 else np.repeat(x.mean(axis=1, keepdims=True), 3, axis=1)
    low, high = picked.min(axis=(1, 2, 3), keepdims=True), picked.max(axis=(1, 2, 3), keepdims=True)
    return 2 * (picked - low) / (high - low) - 1


def previewed(engine, preview: LatentPreview, latents: np.ndarray) -> np.ndarray:
    engine.put_image(LATENTS, latents)
    try:
        return preview.run(engine, LATENTS, latents.shape)
    finally:
        engine.drop(LATENTS)


@pytest.fixture
def duckdb():
    engine = get_engine("duckdb")
    yield engine
    engine.close()


@pytest.mark.parametrize("scaling_factor", sorted(LATENT_RGB))
def test_the_latent_to_rgb_map_is_comfyuis_formula(duckdb, scaling_factor):
    factors, bias = LATENT_RGB[scaling_factor]
    latents = random_sample(2, 4, 5, seed=1) * 3
    got = previewed(duckdb, LatentPreview("latent2rgb", 4, factors=factors, bias=bias), latents)
    np.testing.assert_allclose(got, latent2rgb(latents, factors, bias), rtol=0, atol=1e-6)


def test_the_latent_to_rgb_map_on_postgres(pg_engine):
    latents = random_sample(1, 4, 4, seed=2)
    got = previewed(pg_engine, LatentPreview("latent2rgb", 4, factors=SD_LATENT_RGB), latents)
    np.testing.assert_allclose(got, latent2rgb(latents, SD_LATENT_RGB, (0, 0, 0)), rtol=0, atol=1e-6)


@pytest.mark.parametrize("channels", [1, 2, 3, 6])
def test_a_latent_space_without_factors_shows_its_channels_stretched(duckdb, channels):
    latents = random_sample(2, channels, 4, seed=channels)
    latents[1] *= 10  # each picture stretched on its own
    got = previewed(duckdb, LatentPreview("channels", channels), latents)
    np.testing.assert_allclose(got, stretched_channels(latents), rtol=0, atol=1e-6)
    assert got.min() == -1 and got.max() == 1


def test_each_step_is_previewed_by_the_tiny_autoencoder_as_diffusers_decodes_it(kl):  # noqa: F811
    """preview_vae: the previews of x_t and x0 of every step are the AutoencoderTiny's decode of those
    latents (its scaling_factor 1), as diffusers decodes them; peek.preview() is x_t's; the final
    decode reports its statements as the decoder's."""
    _, _, tiny, folder, taesd = kl
    pipe = SQLDiffusionPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    events, peeked = [], []
    pipe(init_noise=random_sample(1, KL["latent_channels"], 8, seed=7), num_inference_steps=2, sampler="ddim",
         preview_vae=taesd, on_event=events.append, callback=lambda step, peek: peeked.append(peek.preview()))
    steps = [e for e in events if isinstance(e, StepFinished)]
    assert len(steps) == 2 == len(peeked)
    for event, peek in zip(steps, peeked):
        assert_close(event.sample_preview, decoded(tiny, event.sample))
        assert_close(event.prediction_preview, decoded(tiny, event.prediction))
        np.testing.assert_array_equal(peek, event.sample_preview)
        assert event.pictures[0] is event.sample_preview and event.pictures[1] is event.prediction_preview
    decoder = [e for e in events if isinstance(e, StatementStarted) and e.network == "decoder"]
    program = pipe.vae.program(DECODE, 16, 16)
    assert [e.statement.target for e in decoder] == [s.target for s in program.statements]
    assert events.index(decoder[0]) > events.index(steps[-1]) and decoder[0].step == steps[-1].step


def test_the_default_preview_follows_the_autoencoder(kl):  # noqa: F811
    """An AutoencoderKL outside the latent spaces with factors (scaling_factor 0.5 here): its channels,
    stretched; an AutoencoderTiny as the model's own autoencoder previews with itself."""
    _, _, _, folder, taesd = kl
    pipe = SQLDiffusionPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    assert pipe.preview().kind == "channels" and pipe.preview(taesd).kind == "autoencoder"
    events = []
    pipe(init_noise=random_sample(1, 4, 8, seed=8), num_inference_steps=1, sampler="ddim", on_event=events.append)
    step = next(e for e in events if isinstance(e, StepFinished))
    np.testing.assert_allclose(step.prediction_preview, stretched_channels(step.prediction), rtol=0, atol=1e-6)
    pipe.vae = taesd
    assert pipe.preview().kind == "autoencoder" and pipe.preview().decoder is pipe.vae


def test_gif_of_a_latent_model_shows_each_steps_previews_then_the_decode(kl, tmp_path, monkeypatch):  # noqa: F811
    """--gif: a frame per step, x_t's and x0's previews side by side (enlarged from the latents'
    size to the picture's), then the decoded picture; the picture itself is the full decode."""
    import sqldiffusion.pictures as pictures

    _, _, _, folder, _ = kl
    x_t = random_sample(1, 4, 8, seed=9)
    np.save(tmp_path / "x.npy", x_t)
    written = []
    save_gif = pictures.save_gif
    monkeypatch.setattr(pictures, "save_gif", lambda path, frames: written.append(frames) or save_gif(path, frames))
    done = CliRunner().invoke(cli, ["generate", "--model", str(folder), "--init-noise", str(tmp_path / "x.npy"),
                                    "--sampler", "ddim", "--steps", "3", "--no-ascii", "--quiet", "--out",
                                    str(tmp_path / "a.png"), "--gif", str(tmp_path / "a.gif"),
                                    "--save-npy", str(tmp_path / "a.npy")])
    assert done.exit_code == 0, done.output
    pipe = SQLDiffusionPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    events = []
    picture = pipe(init_noise=x_t, num_inference_steps=3, sampler="ddim", output_type="array",
                   on_event=events.append).images
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), picture)
    scale = enlargement(16)
    steps = [gif_frame(e.pictures, scale, 16) for e in events if isinstance(e, StepFinished)]
    [frames] = written
    assert len(frames) == 4 and all(f.shape == frames[-1].shape for f in frames)
    for got, expected in zip(frames, [*steps, gif_frame((picture, picture), scale)]):
        np.testing.assert_array_equal(got, expected)
    from PIL import Image

    assert Image.open(tmp_path / "a.gif").n_frames == 4


def test_a_preview_autoencoder_is_for_latent_models_alone(kl, tmp_path):  # noqa: F811
    done = CliRunner().invoke(cli, ["generate", "--preview-vae", str(kl[4]), "--out", str(tmp_path / "x.png"),
                                    "--no-ascii", "--quiet"])
    assert "--preview-vae applies to latent models" in str(done.exception) and "\n" not in str(done.exception)
    assert not (tmp_path / "x.png").exists()
