"""UNet2DConditionModel (Stable Diffusion's UNet) against diffusers on the same weights and inputs:
two tiny random configs in the styles of SD 1.x (1x1 convolution projections, one head count for
every block, a mid block) and SD 2.x / BK-SDM (linear projections, a head count per block, two
transformer layers, no mid block), a batch of two with a different text each; the options those
models do not use, refused in one line each."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import random_sample
from test_errors import error_of

from sqldiffusion.graph.unet_condition_config import UNetConditionConfig
from sqldiffusion.model import load_model
from sqldiffusion.sql_unet import SQLUNet

SD1 = dict(sample_size=8, in_channels=4, out_channels=4, block_out_channels=[32, 64], layers_per_block=1,
           down_block_types=["CrossAttnDownBlock2D", "DownBlock2D"], up_block_types=["UpBlock2D", "CrossAttnUpBlock2D"],
           norm_num_groups=8, cross_attention_dim=32, attention_head_dim=4)
SD2 = dict(sample_size=8, in_channels=4, out_channels=4, block_out_channels=[32, 64], layers_per_block=[1, 2],
           down_block_types=["CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
           up_block_types=["CrossAttnUpBlock2D", "CrossAttnUpBlock2D"], norm_num_groups=8, cross_attention_dim=24,
           attention_head_dim=[2, 4], use_linear_projection=True, transformer_layers_per_block=[1, 2],
           mid_block_type=None, upcast_attention=True)
# Spark's fixed cost per statement: one level of one transformer (every primitive of the UNet, 48 statements)
ONE_LEVEL = dict(SD1, block_out_channels=[32], down_block_types=["CrossAttnDownBlock2D"], up_block_types=["UpBlock2D"],
                 mid_block_type=None)
STYLES = {"SD 1": (SD1, 8), "SD 2, no mid block": (SD2, 77), "one level": (ONE_LEVEL, 8)}  # config, text length
TIMESTEPS = np.array([999.0, 21.5])


def make_model(config: dict, seed: int = 0, scale: float = 0.05):
    """A diffusers UNet2DConditionModel with every parameter perturbed (zero-initialised layers hide bugs)."""
    torch = pytest.importorskip("torch")
    diffusers = pytest.importorskip("diffusers")
    torch.manual_seed(seed)
    model = diffusers.UNet2DConditionModel(**config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * scale)
    return model


def inputs(config: dict, tokens: int, seed: int = 1):
    """A sample, and the text of each of its two images (different texts)."""
    sample = random_sample(2, config["in_channels"], config["sample_size"], seed=seed)
    text = random_sample(2, tokens, config["cross_attention_dim"], 1, seed=seed + 1)[..., 0]  # (B, L, D)
    return sample, text


def diffusers_pass(model, sample, timesteps, text) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model(torch.from_numpy(sample), torch.tensor(timesteps), torch.from_numpy(text)).sample.numpy()


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    made = {}
    for name, (config, _) in STYLES.items():
        model = make_model(config)
        folder = tmp_path_factory.mktemp("unet") / "unet"
        model.save_pretrained(folder)
        made[name] = (model, folder)
    return made


def check_pass(name, engine, models):
    model, folder = models[name]
    config, tokens = STYLES[name]
    sample, text = inputs(config, tokens)
    expected = diffusers_pass(model, sample, TIMESTEPS, text)
    got = SQLUNet(folder, engine)(sample, TIMESTEPS, encoder_hidden_states=text)
    np.testing.assert_allclose(got, expected, atol=1e-4 * np.ptp(expected), rtol=0)
    SQLUNet(folder, engine)  # the import found again and checked (long table names as stored)


def test_sd1_style_pass_equals_diffusers(engine, models):
    check_pass("SD 1", engine, models)


@pytest.mark.slow
def test_one_transformer_pass_equals_diffusers_on_spark(spark_engine, models):
    check_pass("one level", spark_engine, models)


def test_sd2_style_pass_equals_diffusers_on_duckdb(models):
    from sqldiffusion.backends import get_engine

    engine = get_engine("duckdb")
    try:
        check_pass("SD 2, no mid block", engine, models)
    finally:
        engine.close()


def test_each_image_reads_its_own_text(models):
    """The texts swapped, the outputs swap: no image reads the other's text."""
    model, folder = models["SD 1"]
    sample, text = inputs(SD1, 8, seed=4)
    net = SQLUNet(folder)
    same = np.stack([sample[0], sample[0]])
    got = net(same, 500.0, encoder_hidden_states=text)
    np.testing.assert_allclose(got, diffusers_pass(model, same, np.array([500.0, 500.0]), text), atol=1e-4, rtol=0)
    assert np.abs(got[0] - got[1]).max() > 1e-3


def test_the_folder_loads_as_its_class(models):
    model = load_model(models["SD 1"][1])
    assert model.network.class_name == "UNet2DConditionModel" and model.config.heads(1) == 4
    assert model.config.per_block("layers_per_block") == (1, 1)


@pytest.mark.parametrize("text, message", [
    (None, r"this model reads text: give encoder_hidden_states \(2, L, 32\)"),
    (np.zeros((2, 8, 31), np.float32), r"encoder_hidden_states has shape \[2, 8, 31\]"),
    (np.zeros((1, 8, 32), np.float32), r"has shape \[1, 8, 32\]"),
    (np.full((2, 8, 32), np.nan, np.float32), "NaN"),
])
def test_bad_text_gets_one_line(models, text, message):
    assert pytest.importorskip("re").search(message, error_of(SQLUNet(models["SD 1"][1]), random_sample(2, 4, 8),
                                                                10.0, encoder_hidden_states=text))


def test_text_for_a_model_without_text(small_model):
    message = error_of(SQLUNet(small_model[1]), random_sample(1, 3, 16), 10.0,
                       encoder_hidden_states=np.zeros((1, 8, 32), np.float32))
    assert "does not read text" in message


def test_the_unconditional_pipelines_refuse_a_text_model(models, tmp_path):
    from click.testing import CliRunner

    from sqldiffusion.cli import cli
    from sqldiffusion.pipeline import SQLDiffusionPipeline

    folder = models["SD 1"][1]
    assert "SQLDiffusionPipeline runs models without text" in error_of(SQLDiffusionPipeline.from_pretrained, folder)
    out = tmp_path / "p.png"
    result = CliRunner().invoke(cli, ["generate", "--model", str(folder), "--no-ascii", "--out", str(out)])
    said = str(result.exception)
    assert "reads a prompt's encoding; give the pipeline folder" in said and "\n" not in said
    assert "UNet2DConditionModel" in said and not out.exists()


@pytest.mark.parametrize("key, value", [
    ("num_attention_heads", 4), ("only_cross_attention", True), ("dual_cross_attention", True),
    ("class_embed_type", "timestep"), ("num_class_embeds", 10), ("addition_embed_type", "text_time"),
    ("encoder_hid_dim", 32), ("encoder_hid_dim_type", "text_proj"), ("attention_type", "gated"),
    ("cross_attention_norm", "group_norm"), ("resnet_time_scale_shift", "scale_shift"),
    ("time_embedding_type", "fourier"), ("act_fn", "gelu"), ("conv_in_kernel", 7), ("conv_out_kernel", 1),
    ("time_cond_proj_dim", 32), ("timestep_post_act", "silu"), ("time_embedding_act_fn", "silu"),
    ("class_embeddings_concat", True), ("mid_block_only_cross_attention", True), ("resnet_skip_time_act", True),
    ("resnet_out_scale_factor", 2.0), ("projection_class_embeddings_input_dim", 8), ("addition_time_embed_dim", 8),
    ("reverse_transformer_layers_per_block", [[1], [1]]),
    ("mid_block_type", "UNetMidBlock2DSimpleCrossAttn"),
    ("down_block_types", ["DownBlock2D", "SimpleCrossAttnDownBlock2D"]),
    ("up_block_types", ["KCrossAttnUpBlock2D", "UpBlock2D"]), ("cross_attention_dim", [32, 32]),
    ("transformer_layers_per_block", [[1, 2], [1, 2]]), ("attention_head_dim", [4, 4, 4]),
    ("attention_head_dim", 5), ("norm_num_groups", None), ("use_linear_projection", "yes"),
])
def test_unsupported_options_get_one_line_naming_them(key, value):
    message = error_of(UNetConditionConfig.from_dict, {**SD1, key: value}, "unet/config.json")
    assert message.startswith("unet/config.json: ") and key in message


def test_configs_shaped_as_the_public_models_are_read():
    """Configs in the shape of SD 1.5's, SD 2.1's (heads per block, linear projections, the options
    it states as off) and BK-SDM-Tiny's (no mid block, three levels): read, with diffusers' heads."""
    sd15 = dict(_class_name="UNet2DConditionModel", act_fn="silu", attention_head_dim=8, block_out_channels=[
        320, 640, 1280, 1280], center_input_sample=False, cross_attention_dim=768, down_block_types=[
        "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"], downsample_padding=1,
        flip_sin_to_cos=True, freq_shift=0, in_channels=4, layers_per_block=2, mid_block_scale_factor=1,
        norm_eps=1e-05, norm_num_groups=32, out_channels=4, sample_size=64, up_block_types=[
        "UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"])
    sd21 = dict(sd15, attention_head_dim=[5, 10, 20, 20], cross_attention_dim=1024, use_linear_projection=True,
                upcast_attention=True, num_attention_heads=None, dual_cross_attention=False, class_embed_type=None,
                num_class_embeds=None, only_cross_attention=False, resnet_time_scale_shift="default")
    tiny = dict(sd15, layers_per_block=1, mid_block_type=None, block_out_channels=[320, 640, 1280],
                down_block_types=sd15["down_block_types"][:3], up_block_types=sd15["up_block_types"][1:])
    for settings, heads in ((sd15, 8), (sd21, 20), (tiny, 8)):
        config = UNetConditionConfig.from_dict(json.loads(json.dumps(settings)))
        assert config.heads(len(config.block_out_channels) - 1) == heads
