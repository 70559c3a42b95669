"""A latent model beyond generate: the exported psql script, the exported page, generate-many and the
preflight each run the loop and then the autoencoder's decoder, as SQL, and give the decoded
picture (checked against our in-process run, itself checked against diffusers' decode)."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from click.testing import CliRunner
from test_latent import LATENT, assert_close, kl, ldm  # noqa: F401 (fixtures)

from sqldiffusion import SQLDiffusionError, SQLDiffusionPipeline
from sqldiffusion.cli import cli

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")


def decoded_by_diffusers(vae, latents: np.ndarray, shift: float = 0.0) -> np.ndarray:
    """diffusers' decode of final latents, scaled as its pipelines scale them."""
    with torch.no_grad():
        return vae.decode(torch.from_numpy(latents) / vae.config.scaling_factor + shift).sample.numpy()


def run_twice(pipe, **options):
    """The decoded pictures and the final latents of one call's settings."""
    return pipe(**options, output_type="array").images, pipe(**options, output_type="latent").images


# ---- export-sql ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_an_exported_latent_script_decodes_in_psql_as_the_pipeline_does(ldm, pg_dsn, tmp_path):  # noqa: F811
    """The script runs the loop and the VQ decoder (its codebook quantisation included) and prints
    the decoded picture; it equals the PostgreSQL pipeline's, whose decode equals diffusers'."""
    from test_postgres import _psql

    from sqldiffusion.backends import get_engine
    from sqldiffusion.pictures import ascii_art, to_pixels
    from sqldiffusion.sql_unet import SQLUNet

    pipe, folder = ldm
    script = tmp_path / "ldm.sql"
    done = CliRunner().invoke(cli, ["export-sql", "--model", str(folder), "--sampler", "ddim", "--steps", "2",
                                    "--seed", "4", "--out", str(script)])
    assert done.exit_code == 0, done.output
    assert "-- the decoder" in script.read_text()
    printed = subprocess.run([_psql(), "-q", "-X", "-d", pg_dsn, "-f", str(script)], capture_output=True, text=True)
    assert printed.returncode == 0, printed.stderr
    engine = get_engine("postgres", pg_dsn)
    try:
        net = SQLUNet(folder, engine)
        ours = SQLDiffusionPipeline(net, vae=folder / "vqvae")
        ours.set_progress_bar_config(disable=True)
        pictures, latents = run_twice(ours, num_inference_steps=2, sampler="ddim", seed=4)
    finally:
        engine.close()
    assert pictures.shape == (1, 3, 2 * LATENT, 2 * LATENT)
    assert_close(pictures, decoded_by_diffusers(pipe.vqvae, latents))
    assert printed.stdout.rstrip("\n") == "\n\n".join(ascii_art(p) for p in to_pixels(pictures))


# ---- the preflight -----------------------------------------------------------------------------------
SD_VAE = dict(_class_name="AutoencoderKL", in_channels=3, out_channels=3, latent_channels=4,
              block_out_channels=[128, 256, 512, 512], layers_per_block=2, norm_num_groups=32,
              down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4, sample_size=512)


def test_a_latent_run_is_counted_with_its_decoders_peak():
    """At 512 px the SD decoder's last level holds 128 channels of 512x512: a latent run's peak is
    the decoder's, beside both networks' weights."""
    from sqldiffusion.graph.autoencoder_config import AutoencoderKLConfig
    from sqldiffusion.model import load_model
    from sqldiffusion.preflight import BYTES_PER_VALUE, estimate, latent_estimate

    unet = load_model("demo").config
    vae = AutoencoderKLConfig.from_dict(SD_VAE)
    run, loop, decoder = latent_estimate(unet, vae, 64, 64, 2), estimate(unet, 64, 64, 2), estimate(vae, 512, 512, 2)
    assert run.activations == decoder.activations > 2 * 128 * 512 * 512 * BYTES_PER_VALUE > loop.activations
    assert run.weights == loop.weights + decoder.weights


def test_a_latent_run_too_big_is_refused_before_it_starts_in_one_line(ldm, tmp_path):  # noqa: F811
    """A limit the UNet's run fits in but not the run with its decoder: generate, export-sql and the
    Python pipeline each refuse it in one line, with the estimate, before any statement."""
    from sqldiffusion.model import load_model
    from sqldiffusion.preflight import estimate, gib, latent_estimate

    _, folder = ldm
    model = load_model(folder)
    unet_alone = estimate(model.config, LATENT, LATENT, 1).total
    need = latent_estimate(model.config, model.autoencoder.config, LATENT, LATENT, 1).total
    assert need > unet_alone
    limit = (unet_alone + need) // 2
    for command in (["generate", "--no-ascii", "--out", str(tmp_path / "x.png")],
                    ["export-sql", "--out", str(tmp_path / "x.sql")]):
        done = CliRunner().invoke(cli, [*command, "--model", str(folder), "--max-memory", str(limit)])
        message = str(done.exception)
        assert isinstance(done.exception, SQLDiffusionError), done.output
        assert f"about {gib(need)}" in message and "decoder's peak" in message and "\n" not in message
        assert not any(tmp_path.iterdir())
    pipe = SQLDiffusionPipeline.from_pretrained(folder, max_memory=limit)
    ran = []
    pipe.unet.engine.execute_sql = lambda *a, **k: ran.append(a)  # nothing reaches the engine
    with pytest.raises(SQLDiffusionError, match="decoder's peak"):
        pipe(num_inference_steps=2)
    assert not ran


# ---- generate-many ---------------------------------------------------------------------------------
def test_generate_many_decodes_each_latent_picture_in_its_task(ldm):  # noqa: F811
    """What each Spark task runs over its seeds (many.make_pictures; Spark's dealing is tested with pixel
    models in tests/backends/test_spark.py): the loop and the decoder in its embedded DuckDB, the PNG
    the decoded picture the pipeline makes alone for that seed, whose decode is diffusers'."""
    import io

    from PIL import Image

    from sqldiffusion.many import Work, make_pictures
    from sqldiffusion.pictures import to_pixels
    from sqldiffusion.recipe import Recipe

    pipe, folder = ldm
    ((seed, *_, png),) = list(make_pictures(Work(str(folder), Recipe("ddim", 2, None, False)), [3]))
    ours = SQLDiffusionPipeline.from_pretrained(folder)
    ours.set_progress_bar_config(disable=True)
    pictures, latents = run_twice(ours, num_inference_steps=2, sampler="ddim", seed=3)
    assert_close(pictures, decoded_by_diffusers(pipe.vqvae, latents))
    got = np.asarray(Image.open(io.BytesIO(png)))
    assert seed == 3 and got.shape[:2] == (2 * LATENT, 2 * LATENT)
    np.testing.assert_array_equal(got, to_pixels(pictures)[0])


# ---- export-web --------------------------------------------------------------------------------------
WEB_RUN = "ddim/2@1"


@pytest.fixture(scope="module")
def latent_page(ldm, tmp_path_factory):  # noqa: F811
    """The LDM folder's page (DDIM, 2 steps, batch 1), and the DuckDB pipeline's decoded picture of seed 3."""
    from sqldiffusion.exporters.web.export import export_web
    from sqldiffusion.model import load_model
    from sqldiffusion.recipe import Recipe

    pipe, folder = ldm
    out = tmp_path_factory.mktemp("web") / "site"
    export_web(out, load_model(folder), [Recipe("ddim", 2, None, False)], max_batch=1)
    ours = SQLDiffusionPipeline.from_pretrained(folder)
    ours.set_progress_bar_config(disable=True)
    pictures, latents = run_twice(ours, num_inference_steps=2, sampler="ddim", seed=3)
    assert_close(pictures, decoded_by_diffusers(pipe.vqvae, latents))
    return out, pictures


def test_a_latent_page_decodes_after_the_loop(latent_page):
    """The recorded run ends with the decoder, whose picture is read back; replayed as the page
    replays it (natively here), it is the pipeline's decoded picture."""
    import json

    from test_web import replay_natively

    out, pictures = latent_page
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model"]["shape"] == [3, 2 * LATENT, 2 * LATENT]
    assert manifest["model"]["sample_shape"] == [3, LATENT, LATENT]
    ops = json.loads((out / "runs.json").read_text())[WEB_RUN]
    decode = next(i for i, op in enumerate(ops) if "decode" in op)
    assert ops[decode + 1]["as"] == "picture" and not any("pass" in op for op in ops[decode:])
    got = replay_natively(out, WEB_RUN, 3)
    assert np.abs(got - pictures).max() < 1e-6


@pytest.mark.slow
def test_a_latent_page_decodes_in_duckdb_wasm(latent_page, tmp_path):
    """The same run in DuckDB-WASM (Node, as the page runs it): the loop, then the decoder."""
    import shutil

    from test_web import HERE, wasm_modules
    from test_web import assert_close as close_to_native

    if shutil.which("node") is None:
        pytest.skip("Node is not installed; the DuckDB-WASM replay needs it")
    out, pictures = latent_page
    result = tmp_path / "picture.f32"
    run = subprocess.run(["node", str(HERE / "node_run.mjs"), str(out), str(wasm_modules()), WEB_RUN, "3",
                          str(result)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    close_to_native(np.fromfile(result, dtype="<f4").reshape(pictures.shape), pictures)
