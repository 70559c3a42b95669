"""UNet2DModel options beyond DDPM's, each against diffusers on the same weights and inputs: class
conditioning, scale-shift time norm, resnet up/down-sampling, and timesteps of any real value, as
the public consistency models use them (diffusers' conversion script's test config, scaled down)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_unet, random_sample, save_unet

from sqldiffusion.errors import SQLDiffusionError
from sqldiffusion.graph.unet_config import UNetConfig
from sqldiffusion.sql_unet import SQLUNet

# diffusers' scripts/convert_consistency_to_diffusers.py TEST_UNET_CONFIG, at 16 channels a group of 8
CONSISTENCY = dict(
    sample_size=16, in_channels=3, out_channels=3, layers_per_block=1, num_class_embeds=10,
    block_out_channels=[16, 32], attention_head_dim=8, norm_num_groups=8, attn_norm_num_groups=8,
    down_block_types=["ResnetDownsampleBlock2D", "AttnDownBlock2D"],
    up_block_types=["AttnUpBlock2D", "ResnetUpsampleBlock2D"],
    resnet_time_scale_shift="scale_shift", upsample_type="resnet", downsample_type="resnet",
)

VARIANTS = {
    "consistency": {},
    "mid attention without a norm": dict(attn_norm_num_groups=None),
    "class embedded as a timestep": dict(class_embed_type="timestep"),
    "class embedding given": dict(class_embed_type="identity", num_class_embeds=None),
    "three levels, attention blocks resampling by resnets": dict(
        block_out_channels=[16, 32, 32],
        down_block_types=["ResnetDownsampleBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"],
        up_block_types=["AttnUpBlock2D", "AttnUpBlock2D", "ResnetUpsampleBlock2D"]),
    "class-conditional DDPM": dict(
        resnet_time_scale_shift="default", downsample_type="conv", upsample_type="conv",
        down_block_types=["DownBlock2D", "AttnDownBlock2D"], up_block_types=["AttnUpBlock2D", "UpBlock2D"]),
    "scale-shift alone": dict(num_class_embeds=None, down_block_types=["DownBlock2D", "AttnDownBlock2D"],
                              up_block_types=["AttnUpBlock2D", "UpBlock2D"],
                              downsample_type="conv", upsample_type="conv"),
}


def diffusers_pass(model, sample, timesteps, labels):
    import torch

    with torch.no_grad():
        given = None if labels is None else torch.tensor(labels)
        return model(torch.from_numpy(sample), torch.tensor(timesteps), class_labels=given).sample.numpy()


@pytest.fixture(scope="module")
def variant_models(tmp_path_factory):
    made = {}
    for name, change in VARIANTS.items():
        config = {**CONSISTENCY, **change}
        model = make_unet(config)
        made[name] = (model, save_unet(model, tmp_path_factory.mktemp("variant")), config)
    return made


# on every engine: the variants whose SQL differs by engine (the one-hot class table, given embeddings
# uploaded as images, a label through time_proj, the scale-shift norm and resnet resampling); the
# others change only the graph, whose primitives every engine already runs, so DuckDB alone checks them
EVERY_ENGINE = ["consistency", "class embedding given", "class embedded as a timestep"]


@pytest.mark.parametrize("name", EVERY_ENGINE)
def test_variant_pass_equals_diffusers(name, engine, variant_models):
    check_variant(name, engine, variant_models)


@pytest.mark.parametrize("name", [name for name in VARIANTS if name not in EVERY_ENGINE])
def test_variant_pass_equals_diffusers_on_duckdb(name, variant_models):
    from sqldiffusion.backends import get_engine

    engine = get_engine("duckdb")
    try:
        check_variant(name, engine, variant_models)
    finally:
        engine.close()


def check_variant(name, engine, variant_models):
    model, folder, config = variant_models[name]
    sample = random_sample(2, 3, 16, seed=1)
    timesteps = np.array([1095.5, 3.25])  # consistency models' timesteps: 250 ln(sigma), fractional, above 1000
    labels = [3, 7] if config.get("num_class_embeds") or config.get("class_embed_type") else None
    if config.get("class_embed_type") == "identity":  # the embeddings themselves, (B, time_embed_dim)
        labels = random_sample(2, 4 * 16, 1, 1, seed=3)[:, :, 0, 0]
    expected = diffusers_pass(model, sample, timesteps, labels)
    got = SQLUNet(folder, engine)(sample, timesteps, class_labels=labels)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)


def test_one_label_serves_the_batch(variant_models):
    model, folder, _ = variant_models["consistency"]
    sample = random_sample(2, 3, 16, seed=2)
    expected = diffusers_pass(model, sample, np.array([500.0, 500.0]), [4, 4])
    np.testing.assert_allclose(SQLUNet(folder)(sample, 500.0, class_labels=4), expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize("labels, message", [
    (None, "class-conditional: give a class label"),
    (10, "class label 10 is not one of this model's classes: give a whole number from 0 to 9"),
    (-1, "class label -1 is not one"),
    (2.5, "class label 2.5 is not one"),
    ([1, 2, 3], "got 3 class labels for a batch of 2"),
    (float("nan"), "NaN"),
    ("penguin", "give one number"),
])
def test_bad_labels_get_one_line(labels, message, variant_models):
    _, folder, _ = variant_models["consistency"]
    with pytest.raises(SQLDiffusionError, match=message) as caught:
        SQLUNet(folder)(random_sample(2, 3, 16), 10.0, class_labels=labels)
    assert "\n" not in str(caught.value)


def test_given_class_embeddings_are_checked(variant_models):
    _, folder, _ = variant_models["class embedding given"]
    net = SQLUNet(folder)
    with pytest.raises(SQLDiffusionError, match=r"give class_labels as 64 numbers, or an array \(2, 64\)"):
        net(random_sample(2, 3, 16), 10.0, class_labels=[1.0, 2.0])
    with pytest.raises(SQLDiffusionError, match="NaN"):
        net(random_sample(2, 3, 16), 10.0, class_labels=np.full(64, np.nan))


def test_a_label_for_a_model_without_classes(small_model):
    with pytest.raises(SQLDiffusionError, match="not class-conditional"):
        SQLUNet(small_model[1])(random_sample(1, 3, 16), 10.0, class_labels=3)


@pytest.mark.parametrize("key, value, message", [
    ("class_embed_type", "projection", "class_embed_type is 'projection'; it must be one of timestep, identity"),
    ("resnet_time_scale_shift", "spatial", "resnet_time_scale_shift is 'spatial'"),
    ("downsample_type", "fir", "downsample_type is 'fir'"),
    ("num_class_embeds", 0, "num_class_embeds is 0"),
    ("num_class_embeds", "1000); DROP TABLE x; --", "num_class_embeds is"),
])
def test_unsupported_options_get_one_line(key, value, message):
    with pytest.raises(SQLDiffusionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        UNetConfig.from_dict({**CONSISTENCY, key: value})


def test_the_command_line_leaves_given_embeddings_to_python(variant_models, tmp_path):
    from click.testing import CliRunner

    from sqldiffusion.cli import cli

    _, folder, _ = variant_models["class embedding given"]
    result = CliRunner().invoke(cli, ["generate", "--model", str(folder), "--class-label", "3", "--no-ascii",
                                      "--out", str(tmp_path / "p.png")])
    assert "takes its class embeddings as vectors" in str(result.exception)
    assert not (tmp_path / "p.png").exists()


def test_one_pass_on_the_command_line_takes_class_labels(variant_models, tmp_path):
    from click.testing import CliRunner

    from sqldiffusion.cli import cli

    model, folder, _ = variant_models["consistency"]
    sample = random_sample(2, 3, 16, seed=9)
    np.save(tmp_path / "x.npy", sample)
    result = CliRunner().invoke(cli, ["unet", "-m", str(folder), "-i", str(tmp_path / "x.npy"), "-t", "1095.5,80.9",
                                      "--class-label", "1,8", "-o", str(tmp_path / "o.npy")])
    assert result.exit_code == 0, result.output
    expected = diffusers_pass(model, sample, np.array([1095.5, 80.9]), [1, 8])
    np.testing.assert_allclose(np.load(tmp_path / "o.npy"), expected, atol=1e-4, rtol=0)
