"""The SQL UNet of every backend against diffusers on PyTorch: same weights, same inputs, max abs error <= 1e-4."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import PARAMETRISED, SMALL, make_unet, public_config, random_sample, reference, save_unet

from sqldiffusion import SQLUNet, unet

TOL = 1e-4


def assert_close(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape
    err = float(np.abs(got - want).max())
    assert err <= TOL, f"max abs error {err:.2e} > {TOL}"


PUBLIC = ["ddpm-butterflies-64", "ddpm-cifar10-32"]


@pytest.fixture(scope="module")
def public_models(tmp_path_factory):
    """`get(name)`: the public config's random model and its saved folder, made once per module
    (the butterfly's takes PyTorch about 5 s to initialise)."""
    made = {}

    def get(name: str):
        if name not in made:
            model = make_unet(public_config(name), scale=0.02)
            made[name] = model, save_unet(model, tmp_path_factory.mktemp(name) / "unet")
        return made[name]
    return get


@pytest.fixture(scope="module", params=PUBLIC)
def public_model(request, public_models):
    model, folder = public_models(request.param)
    return public_config(request.param), model, SQLUNet(folder)


@pytest.mark.slow
def test_public_config_batch_1(public_model):
    config, model, net = public_model
    size = config["sample_size"]
    x = random_sample(1, config["in_channels"], size)
    assert_close(net(x, 999), reference(model, x, 999))


@pytest.mark.slow
def test_public_config_batch_2_with_a_timestep_per_image(public_models):
    """A batch's items at timesteps of their own, on the butterflies' config (the larger one)."""
    config = public_config("ddpm-butterflies-64")
    model, folder = public_models("ddpm-butterflies-64")
    net = SQLUNet(folder)
    size = config["sample_size"]
    x = random_sample(2, config["in_channels"], size, seed=1)
    assert_close(net(x, [500, 3]), reference(model, x, [500, 3]))


# Each entry changes the small config in one way; together they cover every supported option.
OPTIONS = {
    "defaults": {},
    "no_flip_freq_shift_1": dict(flip_sin_to_cos=False, freq_shift=1),
    "one_head": dict(attention_head_dim=None),
    "downsample_padding_0": dict(downsample_padding=0),
    "mid_scale_and_eps": dict(mid_block_scale_factor=2.0, norm_eps=1e-6),
    "center_input": dict(center_input_sample=True),
    "time_embedding_dim": dict(time_embedding_dim=48),
    "channels_1_in_2_out": dict(in_channels=1, out_channels=2),
    "three_layers_three_blocks": dict(block_out_channels=[16, 16, 32], layers_per_block=2,
                                      down_block_types=["DownBlock2D", "AttnDownBlock2D", "DownBlock2D"],
                                      up_block_types=["UpBlock2D", "AttnUpBlock2D", "UpBlock2D"]),
    "no_mid_block": dict(mid_block_type=None),
    "mid_without_attention": dict(add_attention=False),
    "attn_norm_groups": dict(attn_norm_num_groups=4, attention_head_dim=4),
    "all_attention": dict(down_block_types=["AttnDownBlock2D"] * 2, up_block_types=["AttnUpBlock2D"] * 2),
}


@pytest.mark.parametrize("name", OPTIONS)
def test_option(name, engine, tmp_path):
    config = {**SMALL, **OPTIONS[name]}
    model = make_unet(config, seed=len(name))
    net = SQLUNet(save_unet(model, tmp_path / "unet"), engine)
    x = random_sample(2, config["in_channels"], 8, seed=3)
    assert_close(net(x, [999, 10.5]), reference(model, x, [999, 10.5]))


# The butterflies' config on every engine but DuckDB, which runs both public configs whole
# (test_public_config_batch_1); what CIFAR-10's has that the butterflies' has not (one attention head,
# no flip of sin and cos, freq_shift 1, no downsample padding) is test_option's one_head,
# no_flip_freq_shift_1 and downsample_padding_0 on every engine.
@pytest.mark.slow
@pytest.mark.parametrize("name, engine", [("ddpm-butterflies-64", backend) for backend in PARAMETRISED
                                          if backend != "duckdb"], indirect=["engine"])
def test_public_config_at_16x16(name, engine, public_models):
    model, folder = public_models(name)
    net = SQLUNet(folder, engine)
    x = random_sample(1, 3, 16)
    assert_close(net(x, 500), reference(model, x, 500))


def test_non_square_image_and_float_timestep(small_model):
    model, folder = small_model
    x = random_sample(1, 3, 8, 16)
    assert_close(unet(folder, x, 250.5), reference(model, x, 250.5))


def test_single_image_without_batch_axis(small_model):
    model, folder = small_model
    x = random_sample(1, 3, 16)
    out = unet(folder, x[0], 10)
    assert out.shape == (3, 16, 16)
    assert_close(out, reference(model, x, 10)[0])


@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
def test_half_precision_weights(dtype, tmp_path):
    model = make_unet(SMALL, seed=5)
    folder = save_unet(model, tmp_path / "unet", dtype)  # model now holds the rounded weights in fp32
    x = random_sample(1, 3, 16)
    assert_close(unet(folder, x, 700), reference(model, x, 700))


def test_deprecated_attention_names_and_pipeline_folder(tmp_path):
    """Old checkpoints (query/key/value/proj_attn) inside a pipeline folder (unet/ + scheduler/)."""
    from safetensors.numpy import load_file, save_file

    model = make_unet(SMALL, seed=7)
    unet_dir = save_unet(model, tmp_path / "pipe" / "unet")
    weights = unet_dir / "diffusion_pytorch_model.safetensors"
    renames = {".to_q.": ".query.", ".to_k.": ".key.", ".to_v.": ".value.", ".to_out.0.": ".proj_attn."}
    tensors = {}
    for name, array in load_file(weights).items():
        for new, old in renames.items():
            name = name.replace(new, old)
        tensors[name] = array
    assert any(".proj_attn." in n for n in tensors)
    save_file(tensors, weights)
    (tmp_path / "pipe" / "scheduler").mkdir()
    (tmp_path / "pipe" / "scheduler" / "scheduler_config.json").write_text('{"num_train_timesteps": 1000}')
    x = random_sample(1, 3, 16)
    net = SQLUNet(tmp_path / "pipe")
    assert net.model.scheduler_config == {"num_train_timesteps": 1000}
    assert_close(net(x, 42), reference(model, x, 42))


@pytest.mark.slow
@pytest.mark.parametrize("path, parts", [("winograd2", 3), ("winograd4", 2), ("direct", 1)])
def test_every_convolution_by_one_path(path, parts, small_model):
    """Each 3x3 conv path on its own, on odd-sized levels (7x5: the last Winograd tiles hang over the
    edge), with the time embedding added inside the conv and statements split into `parts` branches."""
    from sqldiffusion.backends.duckdb.dialect import DuckDBDialect
    from sqldiffusion.backends.duckdb.engine import DuckDBEngine

    model, folder = small_model
    engine = DuckDBEngine()
    engine.dialect = DuckDBDialect(parts=parts, winograd_min_work=10**12 if path == "direct" else 0,
                                   winograd_min_channels=1, winograd4_max_channels=10**6 if path == "winograd4" else 0)
    net = SQLUNet(folder, engine)
    statements = net.program(14, 10).statements
    stride_1 = sum(s.category == "conv3x3" and "downsamplers" not in s.label for s in statements)
    for variant in ("winograd2", "winograd4"):
        assert sum(f"#{variant}" in s.sql for s in statements) == (stride_1 if path == variant else 0)
    assert sum(s.op == "winograd_conv3x3" for s in statements) == (0 if path == "direct" else stride_1)
    x = random_sample(2, 3, 14, 10, seed=4)
    assert_close(net(x, [999, 3]), reference(model, x, [999, 3]))
