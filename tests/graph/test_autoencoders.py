"""The autoencoders as SQL (AutoencoderKL, VQModel, AutoencoderTiny) against diffusers: random tiny
models saved with save_pretrained, decoded and encoded by SQLAutoencoder, to 1e-4 of the output's
range. Every case on DuckDB; one case on each other engine (marked slow by conftest)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import random_sample
from test_errors import error_of

from sqldiffusion.backends import get_engine
from sqldiffusion.errors import SQLDiffusionError
from sqldiffusion.model import load_autoencoder
from sqldiffusion.program import NOISE
from sqldiffusion.sql_autoencoder import SQLAutoencoder

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")

KL = dict(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=[8, 16], layers_per_block=1,
          down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2, norm_num_groups=4,
          sample_size=16, scaling_factor=0.5, shift_factor=0.125)
VQ = dict(in_channels=3, out_channels=3, latent_channels=3, block_out_channels=[8, 16], layers_per_block=1,
          down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2, norm_num_groups=4,
          num_vq_embeddings=16, vq_embed_dim=4, sample_size=16)
TINY = dict(in_channels=3, out_channels=3, latent_channels=4, encoder_block_out_channels=[8, 8],
            decoder_block_out_channels=[8, 8], num_encoder_blocks=[1, 2], num_decoder_blocks=[2, 1])
CONFIGS = {"AutoencoderKL": KL, "VQModel": VQ, "AutoencoderTiny": TINY}
SIZE = 16  # the pictures' side; the latents' is 8 (each model halves once)


def make(class_name: str, config: dict, seed: int = 0):
    """A diffusers autoencoder with every parameter perturbed (norms' ones and zeros hide bugs)."""
    torch.manual_seed(seed)
    model = getattr(diffusers, class_name)(**config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Each class's model, saved as a pipeline's vae/ (vqvae/ for the VQModel) would hold it."""
    made = {}
    for name, config in CONFIGS.items():
        model = make(name, config)
        folder = tmp_path_factory.mktemp(name) / ("vqvae" if name == "VQModel" else "vae")
        model.save_pretrained(folder)
        made[name] = (model, folder)
    return made


@pytest.fixture(scope="module")
def duckdb():
    engine = get_engine("duckdb")
    yield engine
    engine.close()


def assert_close(got, expected):
    expected = np.asarray(expected)
    spread = float(expected.max() - expected.min())
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= 1e-4 * spread, np.abs(got - expected).max() / spread


def decoded(model, latents, **options):
    with torch.no_grad():
        return model.decode(torch.from_numpy(latents), **options).sample.numpy()


def encoded(model, pictures):
    with torch.no_grad():
        out = model.encode(torch.from_numpy(pictures))
    return out.latent_dist.mean.numpy() if hasattr(out, "latent_dist") else out.latents.numpy()


LATENTS = {name: random_sample(2, 4, SIZE // 2, seed=3) for name in CONFIGS}  # 4 channels each takes
PICTURES = np.clip(random_sample(2, 3, SIZE, seed=4) / 2, -1, 1)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_decode_as_diffusers(saved, duckdb, name):
    model, folder = saved[name]
    vae = SQLAutoencoder(folder, duckdb)
    assert_close(vae.decode(LATENTS[name]), decoded(model, LATENTS[name]))


@pytest.mark.parametrize("name", list(CONFIGS))
def test_encode_as_diffusers(saved, duckdb, name):
    model, folder = saved[name]
    vae = SQLAutoencoder(folder, duckdb)
    assert_close(vae.encode(PICTURES), encoded(model, PICTURES))


def test_a_vq_decode_quantises_unless_told_not_to(saved, duckdb):
    model, folder = saved["VQModel"]
    vae = SQLAutoencoder(folder, duckdb)
    latents = LATENTS["VQModel"]
    quantised = vae.decode(latents)
    assert_close(quantised, decoded(model, latents))
    assert_close(vae.decode(latents, force_not_quantize=True), decoded(model, latents, force_not_quantize=True))
    # the codebook vectors themselves: a decode of them quantises to themselves
    codebook = model.quantize.embedding.weight.detach().numpy()
    picked = codebook[np.random.default_rng(0).integers(0, len(codebook), (2, SIZE // 2, SIZE // 2))]
    exact = np.ascontiguousarray(picked.transpose(0, 3, 1, 2))
    assert_close(vae.decode(exact), vae.decode(exact, force_not_quantize=True))


def test_a_kl_sample_draws_its_noise_in_sql(saved, duckdb):
    """mean + std * noise, the noise the engine's seeded gaussian noise of the latents' shape."""
    model, folder = saved["AutoencoderKL"]
    vae = SQLAutoencoder(folder, duckdb)
    got = vae.encode(PICTURES, seed=7)
    shape = (2, 4, SIZE // 2, SIZE // 2)
    duckdb.create(NOISE, duckdb.dialect.gaussian_noise(shape, 7, 0))
    try:
        noise = duckdb.fetch_image(NOISE, shape)
    finally:
        duckdb.drop(NOISE)
    with torch.no_grad():
        dist = model.encode(torch.from_numpy(PICTURES)).latent_dist
        expected = (dist.mean + dist.std * torch.from_numpy(noise)).numpy()
    assert_close(got, expected)
    assert not np.array_equal(got, vae.encode(PICTURES, seed=8))
    np.testing.assert_array_equal(got, vae.encode(PICTURES, seed=7))


def test_a_kl_without_quant_convs_as_diffusers(tmp_path, duckdb):
    """Newer configs' use_quant_conv and use_post_quant_conv false: the distribution's mean and
    log-variance are conv_out's halves, and the latents go to the decoder as they are."""
    model = make("AutoencoderKL", {**KL, "use_quant_conv": False, "use_post_quant_conv": False})
    assert model.quant_conv is None and model.post_quant_conv is None
    model.save_pretrained(tmp_path / "vae")
    vae = SQLAutoencoder(tmp_path / "vae", duckdb)
    latents = LATENTS["AutoencoderKL"]
    assert_close(vae.decode(latents), decoded(model, latents))
    assert_close(vae.encode(PICTURES), encoded(model, PICTURES))
    shape = (2, 4, SIZE // 2, SIZE // 2)
    duckdb.create(NOISE, duckdb.dialect.gaussian_noise(shape, 5, 0))
    try:
        noise = duckdb.fetch_image(NOISE, shape)
    finally:
        duckdb.drop(NOISE)
    with torch.no_grad():
        dist = model.encode(torch.from_numpy(PICTURES)).latent_dist
    assert_close(vae.encode(PICTURES, seed=5), (dist.mean + dist.std * torch.from_numpy(noise)).numpy())


def test_the_pipelines_read_the_scaling_from_the_config(saved, duckdb):
    kl = SQLAutoencoder(saved["AutoencoderKL"][1], duckdb)
    assert (kl.scaling_factor, kl.shift_factor, kl.factor, kl.latent_channels) == (0.5, 0.125, 2, 4)
    vq = SQLAutoencoder(saved["VQModel"][1].parent, duckdb)  # the pipeline folder: its vqvae/
    assert (vq.scaling_factor, vq.shift_factor, vq.latent_channels) == (0.18215, None, 4)
    tiny = SQLAutoencoder(saved["AutoencoderTiny"][1], duckdb)
    assert (tiny.scaling_factor, tiny.shift_factor, tiny.config.latent_magnitude) == (1.0, 0.0, 3)


def test_encode_and_decode_on_every_engine(saved, every_engine):
    """One case per engine (every case runs on DuckDB above): a VQModel's encode, then its decode,
    through the codebook."""
    model, folder = saved["VQModel"]
    vae = SQLAutoencoder(folder, every_engine)
    assert_close(vae.encode(PICTURES), encoded(model, PICTURES))
    assert_close(vae.decode(LATENTS["VQModel"]), decoded(model, LATENTS["VQModel"]))


def test_a_decode_too_big_for_memory_is_refused_before_it_starts(saved, duckdb):
    vae = SQLAutoencoder(saved["AutoencoderKL"][1], duckdb, max_memory=1 << 30)
    message = error_of(vae.decode, np.zeros((1, 4, 512, 512), dtype=np.float32))
    assert "1024x1024" in message and "--max-memory" in message


def test_an_autoencoder_class_we_do_not_run_is_refused_in_one_line(tmp_path):
    folder = tmp_path / "vae"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"_class_name": "AutoencoderKLTemporalDecoder"}))
    message = error_of(load_autoencoder, tmp_path)
    assert "AutoencoderKLTemporalDecoder" in message and "AutoencoderKL, VQModel, AutoencoderTiny" in message


@pytest.mark.parametrize("name, option, value", [
    ("VQModel", "norm_type", "spatial"),
    ("AutoencoderKL", "act_fn", "gelu"), ("AutoencoderTiny", "upsample_fn", "bilinear"),
    ("VQModel", "lookup_from_codebook", True)])
def test_options_we_do_not_run_are_refused_naming_them(tmp_path, name, option, value):
    (tmp_path / "config.json").write_text(json.dumps({"_class_name": name, **CONFIGS[name], option: value}))
    message = error_of(load_autoencoder, tmp_path)
    assert option in message and "not supported" in message


def test_bad_inputs_are_one_line(saved, duckdb):
    vae = SQLAutoencoder(saved["AutoencoderTiny"][1], duckdb)
    for call, words in ((lambda: vae.decode(np.zeros((1, 3, 8, 8), np.float32)), "takes 4"),
                        (lambda: vae.encode(np.full((1, 3, 16, 16), np.nan, np.float32)), "NaN"),
                        (lambda: vae.encode(np.zeros((1, 3, 15, 16), np.float32)), "multiples of 2"),
                        (lambda: vae.encode(PICTURES, seed=1), "only an AutoencoderKL"),
                        (lambda: vae.decode(LATENTS["AutoencoderTiny"], force_not_quantize=True), "VQModel")):
        with pytest.raises(SQLDiffusionError, match=words):
            call()
