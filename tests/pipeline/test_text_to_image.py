"""A prompt becomes a picture in SQL: SQLStableDiffusionPipeline against diffusers' StableDiffusionPipeline on
tiny random pipelines (SD-1-like and SD-2-like), from the same initial latents."""

import json

import numpy as np
import pytest
import torch
import transformers
from click.testing import CliRunner
from conftest import PARAMETRISED
from diffusers import (
    AutoencoderKL,
    DDIMScheduler,
    DPMSolverMultistepScheduler,
    StableDiffusionPipeline,
    UNet2DConditionModel,
)
from test_clip import MERGES, byte_characters

from sqldiffusion import SQLStableDiffusionPipeline
from sqldiffusion.cli import cli
from sqldiffusion.errors import SQLDiffusionError

SD1_UNET = dict(sample_size=8, in_channels=4, out_channels=4, block_out_channels=(32, 64), layers_per_block=1,
                down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=32, attention_head_dim=4,
                norm_num_groups=8)
SD2_UNET = dict(SD1_UNET, use_linear_projection=True, attention_head_dim=(4, 8), mid_block_type=None,
                down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
                up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D"))
TEXT = dict(vocab_size=1000, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=77)
SCHEDULE = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                set_alpha_to_one=False, steps_offset=1)


def perturbed(model, seed: int, scale: float = 0.05):
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * scale)
    return model.eval()


def write_tokenizer(folder):
    folder.mkdir(parents=True)
    chars = byte_characters()
    tokens = chars + [c + "</w>" for c in chars] + ["".join(m) for m in MERGES] + ["<|startoftext|>", "<|endoftext|>"]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(" ".join(m) for m in MERGES) + "\n")
    return transformers.CLIPTokenizer.from_pretrained(str(folder), model_max_length=77)


def make_pipeline(folder, unet: dict, hidden_act: str, prediction_type: str):
    """A StableDiffusionPipeline of tiny random networks, saved in the Hub's layout; the UNet's conv_out
    scaled down so that a loop of a random net stays tame."""
    tokenizer = write_tokenizer(folder / "tokenizer-source")
    text = perturbed(transformers.CLIPTextModel(transformers.CLIPTextConfig(
        **TEXT, hidden_act=hidden_act, bos_token_id=len(tokenizer) - 2, eos_token_id=len(tokenizer) - 1,
        pad_token_id=len(tokenizer) - 1)), 1)
    if not hasattr(text, "text_model"):  # transformers 5 dropped the wrapper diffusers' clip_skip still reads
        object.__setattr__(text, "text_model", text)
    net = perturbed(UNet2DConditionModel(**unet), 2)
    with torch.no_grad():
        net.conv_out.weight.mul_(0.1)
    vae = perturbed(AutoencoderKL(block_out_channels=(16, 32), down_block_types=("DownEncoderBlock2D",) * 2,
                                  up_block_types=("UpDecoderBlock2D",) * 2, latent_channels=4, norm_num_groups=8,
                                  sample_size=16), 3, 0.02)
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text, tokenizer=tokenizer, unet=net,
                                   scheduler=DDIMScheduler(**SCHEDULE, prediction_type=prediction_type),
                                   safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(folder / "pipe")
    pipe.set_progress_bar_config(disable=True)
    return pipe, folder / "pipe"


@pytest.fixture(scope="module")
def sd1(tmp_path_factory):
    return make_pipeline(tmp_path_factory.mktemp("sd1"), SD1_UNET, "quick_gelu", "epsilon")


@pytest.fixture(scope="module")
def sd1_pipeline(sd1):
    """Ours, of the SD-1-like folder, imported once for the cases that only check arguments."""
    return SQLStableDiffusionPipeline.from_pretrained(sd1[1])


@pytest.fixture(scope="module")
def sd2(tmp_path_factory):
    return make_pipeline(tmp_path_factory.mktemp("sd2"), SD2_UNET, "gelu", "v_prediction")


def latents(batch: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((batch, 4, 8, 8)).astype(np.float32)


def saved_ddim(folder):
    """diffusers' DDIM from the folder's scheduler_config.json, as our pipeline reads it."""
    return DDIMScheduler.from_pretrained(folder, subfolder="scheduler")


def diffusers_latents(pipe, scheduler, prompt, x_t, **call) -> np.ndarray:
    pipe.scheduler = scheduler
    with torch.no_grad():
        return pipe(prompt, latents=torch.from_numpy(x_t), output_type="latent", **call).images.numpy()


def assert_close(got: np.ndarray, expected: np.ndarray, tolerance: float = 1e-4):
    assert got.shape == expected.shape
    spread = float(expected.max() - expected.min())
    assert np.abs(got - expected).max() <= tolerance * spread, np.abs(got - expected).max() / spread


def test_a_guided_ddim_picture_is_diffusers(sd1):
    pipe, folder = sd1
    x_t = latents(2)
    ours = SQLStableDiffusionPipeline.from_pretrained(folder)
    call = dict(num_inference_steps=3, guidance_scale=7.5, negative_prompt=["and", "and"])
    got = ours(["the butter", "but the"], latents=x_t, output_type="latent", **call).images
    expected = diffusers_latents(pipe, saved_ddim(folder), ["the butter", "but the"],
                                 x_t, **call)
    assert_close(got, expected)
    pictures = ours(["the butter", "but the"], latents=x_t, output_type="array", **call).images
    with torch.no_grad():
        decoded = pipe.vae.decode(torch.from_numpy(expected) / pipe.vae.config.scaling_factor).sample.numpy()
    assert_close(pictures, decoded)


def test_dpm_solver_with_guidance_rescale_clip_skip_and_two_pictures_a_prompt(sd1):
    pipe, folder = sd1
    x_t = latents(2, seed=1)
    ours = SQLStableDiffusionPipeline.from_pretrained(folder)
    call = dict(num_inference_steps=3, guidance_scale=5.0, guidance_rescale=0.7, clip_skip=1,
                num_images_per_prompt=2)
    got = ours("the butter", latents=x_t, sampler="dpmpp-2m", output_type="latent", **call).images
    scheduler = DPMSolverMultistepScheduler.from_pretrained(folder, subfolder="scheduler",
                                                            algorithm_type="dpmsolver++", solver_order=2)
    assert_close(got, diffusers_latents(pipe, scheduler, "the butter", x_t, **call))


def test_an_sd2_like_v_prediction_model_without_guidance(sd2):
    pipe, folder = sd2
    x_t = latents(1, seed=2)
    ours = SQLStableDiffusionPipeline.from_pretrained(folder)
    for scale in (1.0, 7.5):  # at 1, no unconditional pass, as diffusers
        got = ours("butter", latents=x_t, num_inference_steps=2, guidance_scale=scale, output_type="latent").images
        expected = diffusers_latents(pipe, saved_ddim(folder), "butter", x_t,
                                     num_inference_steps=2, guidance_scale=scale)
        assert_close(got, expected)


@pytest.mark.parametrize("engine", [name for name in PARAMETRISED if name != "duckdb"], indirect=True)
def test_a_guided_picture_on_every_engine(sd1, engine):
    """DuckDB's: test_a_guided_ddim_picture_is_diffusers."""
    pipe, folder = sd1
    x_t = latents(1, seed=3)
    ours = SQLStableDiffusionPipeline.from_pretrained(folder, engine=engine)
    got = ours("the butter", latents=x_t, num_inference_steps=2, output_type="latent").images
    expected = diffusers_latents(pipe, saved_ddim(folder), "the butter", x_t,
                                 num_inference_steps=2)
    assert_close(got, expected)


def test_the_command_line_draws_the_python_pipelines_picture(sd1, tmp_path):
    _, folder = sd1
    done = CliRunner().invoke(cli, ["generate", "--model", str(folder), "--prompt", "the butter", "--negative-prompt",
                                    "but", "--guidance-scale", "4", "--steps", "2", "--sampler", "ddim", "--seed", "1",
                                    "--out", str(tmp_path / "p.png"), "--save-npy", str(tmp_path / "p.npy"), "--quiet"])
    assert done.exit_code == 0, done.output
    expected = SQLStableDiffusionPipeline.from_pretrained(folder)(
        "the butter", negative_prompt="but", guidance_scale=4, num_inference_steps=2, sampler="ddim", seed=1,
        output_type="array").images
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), expected)
    from sqldiffusion.provenance import read_png

    settings = read_png(tmp_path / "p.png")
    assert (settings["prompt"], settings["negative_prompt"], settings["guidance_scale"]) == ("the butter", "but", 4)
    again = CliRunner().invoke(cli, ["generate", "--from-png", str(tmp_path / "p.png"), "--out",
                                     str(tmp_path / "q.png"), "--save-npy", str(tmp_path / "q.npy"), "--quiet"])
    assert again.exit_code == 0, again.output
    np.testing.assert_array_equal(np.load(tmp_path / "q.npy"), expected)


@pytest.mark.parametrize("args, said", [
    (["--model", "demo", "--prompt", "x"], "--prompt applies to text-to-image models"),
    (["--guidance-scale", "2"], "draws a prompt: give --prompt"),
    (["--prompt", "a\x07"], "control character"),
    (["--prompt", "a", "--guidance-rescale", "2"], "guidance_rescale is 2.0"),
])
def test_bad_text_options_get_one_line(sd1, tmp_path, args, said):
    args = args if "--model" in args else ["--model", str(sd1[1]), *args]
    done = CliRunner().invoke(cli, ["generate", *args, "--out", str(tmp_path / "p.png"), "--quiet"])
    assert isinstance(done.exception, SQLDiffusionError) and said in str(done.exception), done.output
    assert "\n" not in str(done.exception) and not (tmp_path / "p.png").exists()


@pytest.mark.parametrize("call, said", [
    (dict(prompt=5), "prompt must be a string"),
    (dict(prompt="a", negative_prompt=["x", "y"]), "2 negative prompts for 1 prompts"),
    (dict(prompt="a", guidance_scale=float("nan")), "guidance_scale is nan"),
    (dict(prompt="a", height=10), "height and width 10x16 do not fit"),
    (dict(prompt="a", num_images_per_prompt=0), "num_images_per_prompt is 0"),
    (dict(prompt="a\x00b"), "control character"),
])
def test_bad_calls_get_one_line(sd1_pipeline, call, said):
    ours = sd1_pipeline
    with pytest.raises(SQLDiffusionError, match=said) as raised:
        ours(**call, num_inference_steps=1)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("command", [
    ["export-sql", "--out", "X"], ["export-web", "X"], ["inpaint", "--image", "P", "--mask", "P"],
    ["invert", "--image", "P", "--save-npy", "x.npy"], ["interpolate", "--seeds", "1,2"],
    ["generate-many", "--seeds", "0-1", "--output", "X"],
])
def test_the_commands_without_text_say_so_in_one_line(sd1, tmp_path, command):
    from PIL import Image

    Image.new("RGB", (16, 16)).save(tmp_path / "p.png")
    args = [str(tmp_path / "p.png") if a == "P" else str(tmp_path / a.lower()) if a in ("X", "x.npy") else a
            for a in command]
    done = CliRunner().invoke(cli, [*args, "--model", str(sd1[1])])
    assert isinstance(done.exception, SQLDiffusionError), done.output
    assert "runs models without text for now" in str(done.exception) and "\n" not in str(done.exception)


def test_text_guided_img2img_is_diffusers(sd1, monkeypatch):
    """StableDiffusionImg2ImgPipeline from the same picture and noise, the picture's latents the mean of
    their distribution on both sides (diffusers draws its sample from torch's generator)."""
    import diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion_img2img as img2img
    from diffusers import StableDiffusionImg2ImgPipeline

    from sqldiffusion.text_pipeline import SQLStableDiffusionImg2ImgPipeline

    pipe, folder = sd1
    picture = np.random.default_rng(4).uniform(-1, 1, (1, 3, 16, 16)).astype(np.float32)
    noise = latents(1, seed=5)
    mean = img2img.retrieve_latents
    monkeypatch.setattr(img2img, "retrieve_latents", lambda output, generator=None: mean(output, sample_mode="argmax"))
    monkeypatch.setattr(img2img, "randn_tensor", lambda *args, **kwargs: torch.from_numpy(noise))
    reference = StableDiffusionImg2ImgPipeline(**pipe.components)
    reference.scheduler = saved_ddim(folder)
    reference.set_progress_bar_config(disable=True)
    call = dict(strength=0.6, num_inference_steps=5, guidance_scale=6.0, negative_prompt="and")
    with torch.no_grad():
        expected = reference("the butter", image=torch.from_numpy(picture), output_type="latent", **call).images
    ours = SQLStableDiffusionImg2ImgPipeline.from_pretrained(folder)
    got = ours("the butter", image=picture, noise=noise, sample_mode="argmax", sampler="ddim", output_type="latent",
               **call).images
    assert_close(got, expected.numpy())


def test_edit_with_a_prompt_redraws_as_the_python_pipeline(sd1, tmp_path):
    from PIL import Image

    from sqldiffusion.text_pipeline import SQLStableDiffusionImg2ImgPipeline

    _, folder = sd1
    Image.fromarray(np.random.default_rng(6).integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(tmp_path / "in.png")
    done = CliRunner().invoke(cli, ["edit", "--model", str(folder), "--image", str(tmp_path / "in.png"), "--prompt",
                                    "butter", "--strength", "0.5", "--sampler", "ddim", "--steps", "4", "--seed", "2",
                                    "--out", str(tmp_path / "p.png"), "--save-npy", str(tmp_path / "p.npy"), "--quiet"])
    assert done.exit_code == 0, done.output
    expected = SQLStableDiffusionImg2ImgPipeline.from_pretrained(folder)(
        "butter", image=str(tmp_path / "in.png"), strength=0.5, sampler="ddim", num_inference_steps=4, seed=2,
        output_type="array").images
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), expected)


def test_the_preflight_counts_the_text_encoder_and_the_guided_batch(sd1):
    """Three networks' weights, and the UNet's passes on twice the pictures: refused in one line before any
    statement runs where the limit lies between the unguided latent run's estimate and the text run's."""
    from sqldiffusion.preflight import latent_estimate

    ours = SQLStableDiffusionPipeline.from_pretrained(sd1[1])
    unet, vae, text = ours.unet.config, ours.vae.config, ours.text_encoder.config
    plain = latent_estimate(unet, vae, 8, 8, 4).total
    guided = latent_estimate(unet, vae, 8, 8, 4, text_encoder=text, passes_batch=8).total
    assert guided > plain
    ours.unet.max_memory = (plain + guided) // 2
    ran = []
    ours.unet.engine.execute_sql = lambda *a, **k: ran.append(a)
    with pytest.raises(SQLDiffusionError, match="would need about") as raised:
        ours(["a", "b"], num_images_per_prompt=2, num_inference_steps=1)
    assert not ran and "\n" not in str(raised.value)
