"""Latent diffusion in SQL against diffusers: a pipeline folder with a UNet and an autoencoder (an
LDMPipeline's vqvae, or a vae) draws its latents with the scheduler's loop and decodes them, all in
SQL, as diffusers' pipelines do (the latents divided by the autoencoder's scaling_factor, then
decoded). Tiny random models saved with save_pretrained; every case on DuckDB, the whole loop on
each other engine once (marked slow by conftest)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import make_unet, random_sample
from test_autoencoders import KL, TINY, VQ, make
from test_errors import error_of

from sqldiffusion import DDIMScheduler, DPMSolverMultistepScheduler, SQLDiffusionError, SQLDiffusionPipeline
from sqldiffusion.cli import cli
from sqldiffusion.model import load_model
from sqldiffusion.sql_unet import SQLUNet

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")

LATENT = 8  # the latents' side; the pictures' is 16 (each autoencoder halves once)
LDM_VQ = {k: v for k, v in VQ.items() if k != "vq_embed_dim"}  # its codes of latent_channels, as ldm-celebahq's


def latent_unet(channels: int):
    """A small UNet2DModel on the latents, its conv_out scaled down (a random net's loop is chaotic)."""
    unet = make_unet(dict(sample_size=LATENT, in_channels=channels, out_channels=channels, block_out_channels=[16, 32],
                          layers_per_block=1, down_block_types=["DownBlock2D", "AttnDownBlock2D"],
                          up_block_types=["AttnUpBlock2D", "UpBlock2D"], norm_num_groups=8, attention_head_dim=8))
    with torch.no_grad():
        unet.conv_out.weight.mul_(0.1)
        unet.conv_out.bias.mul_(0.1)
    return unet


@pytest.fixture(scope="module")
def ldm(tmp_path_factory):
    """An LDMPipeline folder (unet, vqvae, scheduler), and its diffusers pipeline."""
    pipe = diffusers.LDMPipeline(vqvae=make("VQModel", LDM_VQ), unet=latent_unet(LDM_VQ["latent_channels"]),
                                 scheduler=diffusers.DDIMScheduler())
    folder = tmp_path_factory.mktemp("ldm") / "pipe"
    pipe.save_pretrained(folder)
    return pipe, folder


@pytest.fixture(scope="module")
def kl(tmp_path_factory):
    """A pipeline folder of a UNet on an AutoencoderKL's latents (with its shift_factor), and a tiny
    autoencoder (TAESD) of the same latent space, saved apart."""
    vae = make("AutoencoderKL", KL)
    unet = latent_unet(KL["latent_channels"])
    root = tmp_path_factory.mktemp("kl")
    vae.save_pretrained(root / "pipe" / "vae")
    unet.save_pretrained(root / "pipe" / "unet")
    diffusers.DPMSolverMultistepScheduler().save_pretrained(root / "pipe" / "scheduler")
    (root / "pipe" / "model_index.json").write_text(
        '{"_class_name": "DiffusionPipeline", "unet": ["diffusers", "UNet2DModel"], '
        '"vae": ["diffusers", "AutoencoderKL"], "scheduler": ["diffusers", "DPMSolverMultistepScheduler"]}')
    tiny = make("AutoencoderTiny", TINY)
    tiny.save_pretrained(root / "taesd")
    return vae, unet, tiny, root / "pipe", root / "taesd"


def reference(unet, vae, scheduler, x_t: np.ndarray, steps: int, shift: float = 0.0) -> np.ndarray:
    """diffusers' latent loop from x_T (LDMPipeline's), then decode(latents / scaling_factor + shift)."""
    scheduler.set_timesteps(steps)
    latents = torch.from_numpy(x_t) * scheduler.init_noise_sigma
    with torch.no_grad():
        for t in scheduler.timesteps:
            eps = unet(scheduler.scale_model_input(latents, t), t).sample
            latents = scheduler.step(eps, t, latents).prev_sample
        return vae.decode(latents / vae.config.scaling_factor + shift).sample.numpy()


def assert_close(got: np.ndarray, expected: np.ndarray) -> None:
    """Within 1e-4 of the output's range, as every network is held to."""
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-4 * float(np.ptp(expected)), rtol=0)


def test_an_ldm_folder_draws_its_decoded_latents_as_diffusers(ldm, engine):
    """DDIM, as LDMPipeline samples, from a given latent x_T: every UNet pass, step and the VQ decode
    (its codebook quantisation included) in SQL."""
    pipe, folder = ldm
    x_t = random_sample(2, LDM_VQ["latent_channels"], LATENT, seed=3)
    ours = SQLDiffusionPipeline.from_pretrained(folder, engine=engine)
    ours.set_progress_bar_config(disable=True)
    got = ours(init_noise=x_t, num_inference_steps=4, output_type="array").images
    assert_close(got, reference(pipe.unet, pipe.vqvae, diffusers.DDIMScheduler(), x_t, 4))
    assert ours.picture_size() == (2 * LATENT, 2 * LATENT)


def test_a_vae_pipeline_with_dpm_solver_and_a_shift_factor(kl):
    vae, unet, _, folder, _ = kl
    x_t = random_sample(1, KL["latent_channels"], LATENT, seed=4)
    pipe = SQLDiffusionPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    assert isinstance(pipe.scheduler, DPMSolverMultistepScheduler)  # as its scheduler_config.json names
    got = pipe(init_noise=x_t, num_inference_steps=5, output_type="array").images
    expected = reference(unet, vae, diffusers.DPMSolverMultistepScheduler(), x_t, 5, shift=KL["shift_factor"])
    assert_close(got, expected)
    latents = pipe(init_noise=x_t, num_inference_steps=5, output_type="latent").images  # undecoded, as diffusers'
    assert latents.shape == (1, KL["latent_channels"], LATENT, LATENT)


def test_pipe_vae_is_swapped_as_in_diffusers(kl):
    """`pipe.vae = ...` with a tiny autoencoder of the same latent space: the same latents, its decode."""
    _, unet, tiny, folder, taesd = kl
    x_t = random_sample(1, KL["latent_channels"], LATENT, seed=5)
    pipe = SQLDiffusionPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    pipe.scheduler = DDIMScheduler.from_config(pipe.scheduler.config)
    pipe.vae = taesd
    got = pipe(init_noise=x_t, num_inference_steps=3, output_type="array").images
    saved = diffusers.DPMSolverMultistepScheduler.from_pretrained(folder / "scheduler")
    theirs = diffusers.DDIMScheduler.from_config(saved.config)  # as diffusers swaps it: linspace, as saved
    assert_close(got, reference(unet, tiny, theirs, x_t, 3))


def test_an_autoencoder_of_another_latent_space_is_refused_in_one_line(ldm, kl):
    _, folder = ldm
    pipe = SQLDiffusionPipeline.from_pretrained(folder)
    message = error_of(setattr, pipe, "vae", kl[4])
    assert "latents of 4 channels" in message and "samples have 3" in message and "\n" not in message


def test_the_command_line_draws_a_latent_model_and_writes_its_latents(kl, tmp_path):
    """generate on a latent model: the picture decoded (at 2x the UNet's size), --save-npy the
    decoded array, --save-latents the latents, both as the Python pipeline's; --vae swaps the decoder."""
    _, _, _, folder, taesd = kl
    x_t = random_sample(1, KL["latent_channels"], LATENT, seed=6)
    np.save(tmp_path / "x.npy", x_t)
    common = ["generate", "--model", str(folder), "--init-noise", str(tmp_path / "x.npy"), "--sampler", "ddim",
              "--steps", "3", "--no-ascii", "--quiet"]
    done = CliRunner().invoke(cli, [*common, "--out", str(tmp_path / "a.png"), "--save-npy", str(tmp_path / "a.npy"),
                                    "--save-latents", str(tmp_path / "z.npy")])
    assert done.exit_code == 0, done.output
    pipe = SQLDiffusionPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    options = dict(init_noise=x_t, num_inference_steps=3, sampler="ddim")
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), pipe(**options, output_type="array").images)
    np.testing.assert_array_equal(np.load(tmp_path / "z.npy"), pipe(**options, output_type="latent").images)
    from PIL import Image

    assert Image.open(tmp_path / "a.png").size[0] >= 2 * LATENT
    done = CliRunner().invoke(cli, [*common, "--vae", str(taesd), "--out", str(tmp_path / "b.png"),
                                    "--save-npy", str(tmp_path / "b.npy")])
    assert done.exit_code == 0, done.output
    pipe.vae = taesd
    np.testing.assert_array_equal(np.load(tmp_path / "b.npy"), pipe(**options, output_type="array").images)


@pytest.mark.parametrize("extra, words", [
    (["--preview-vae", "TINY"], "takes latents of 4 channels, but this model's have 3"),
    (["--vae", "TINY"], "its latents have 4 channels, but the UNet's samples have 3"),
])
def test_what_a_latent_model_does_not_do_yet_is_one_line(ldm, kl, tmp_path, extra, words):
    _, folder = ldm
    extra = [str(kl[4]) if e == "TINY" else e for e in extra]
    done = CliRunner().invoke(cli, ["generate", "--model", str(folder), "--no-ascii", "--quiet",
                                    "--out", str(tmp_path / "x.png"), *extra])
    assert isinstance(done.exception, SQLDiffusionError) and words in str(done.exception), done.output
    assert not (tmp_path / "x.png").exists()


def test_a_pixel_model_takes_no_latent_options(tmp_path):
    done = CliRunner().invoke(cli, ["generate", "--save-latents", str(tmp_path / "z.npy"), "--out",
                                    str(tmp_path / "x.png"), "--no-ascii"])
    assert isinstance(done.exception, SQLDiffusionError) and "--save-latents applies to latent models" in \
        str(done.exception)


def test_a_latent_model_is_read_whole_from_its_pipeline_folder(ldm):
    _, folder = ldm
    model = load_model(folder)
    assert model.autoencoder is not None and model.autoencoder.network.class_name == "VQModel"
    assert SQLUNet(model).config.in_channels == model.autoencoder.config.embed_dim


@pytest.mark.parametrize("command", [["figures", "--out", "figs"]])
def test_the_commands_that_run_pixel_models_alone_say_so_in_one_line(ldm, tmp_path, command):
    """A latent model's samples are no picture: a command that would show them as one refuses it."""
    from PIL import Image

    _, folder = ldm
    Image.new("RGB", (16, 16)).save(tmp_path / "p.png")
    args = [str(tmp_path / "p.png") if a == "P" else str(tmp_path / a) if a in ("x.npy", "site", "figs") else a
            for a in command]
    done = CliRunner().invoke(cli, [*args, "--model", str(folder)])
    assert isinstance(done.exception, SQLDiffusionError), done.output
    assert "runs pixel models for now" in str(done.exception) and "\n" not in str(done.exception)
