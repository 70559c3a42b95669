"""Bad input gets one clear line and loses nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import random_sample

from sqldiffusion import SQLDiffusionError, SQLUNet, unet
from sqldiffusion.model import load_model


def error_of(fn, *args, **kwargs) -> str:
    with pytest.raises(SQLDiffusionError) as info:
        fn(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def with_config(folder, **changes):
    path = folder / "config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize("changes, words", [
    (dict(down_block_types=["DownBlock2D", "CrossAttnDownBlock2D"]),
     "down block type 'CrossAttnDownBlock2D' is not supported"),
    (dict(up_block_types=["SkipUpBlock2D", "UpBlock2D"]), "up block type 'SkipUpBlock2D' is not supported"),
    (dict(class_embed_type="projection"), "class_embed_type is 'projection'; it must be one of timestep, identity"),
    (dict(time_embedding_type="fourier"), "time_embedding_type='fourier' is not supported"),
    (dict(resnet_time_scale_shift="spatial"),
     "resnet_time_scale_shift is 'spatial'; it must be one of default, scale_shift"),
    (dict(cross_attention_dim=768), "cross_attention_dim=768 is not supported"),
    (dict(act_fn="gelu"), "act_fn='gelu' is not supported"),
    (dict(_class_name="UNet3DConditionModel"), "'UNet3DConditionModel' is not supported"),
    (dict(downsample_padding=2), "downsample_padding is 2; it must be a whole number from 0 to 1"),
    (dict(norm_num_groups=5), "cannot be split into norm_num_groups=5"),
    (dict(block_out_channels=[16, 32, 64]), "must have the same length"),
])
def test_unsupported_options_name_the_option(small_model, changes, words):
    _, folder = small_model
    assert words in error_of(load_model, with_config(folder, **changes))


def test_weights_that_do_not_match_the_config(small_model):
    _, folder = small_model
    with_config(folder, block_out_channels=[16, 48])
    assert "has shape" in error_of(SQLUNet, folder)


def test_a_class_table_the_weights_lack(small_model):
    _, folder = small_model
    with_config(folder, num_class_embeds=10)
    assert "tensor 'class_embedding.weight' is missing" in error_of(SQLUNet, folder)


def test_missing_and_unexpected_tensors(small_model):
    from safetensors.numpy import load_file, save_file

    _, folder = small_model
    path = folder / "diffusion_pytorch_model.safetensors"
    tensors = load_file(path)
    save_file({k: v for k, v in tensors.items() if k != "conv_in.bias"}, path)
    assert "tensor 'conv_in.bias' is missing" in error_of(SQLUNet, folder)
    save_file({**tensors, "extra.weight": np.zeros(3, np.float32)}, path)
    assert "unexpected tensor 'extra.weight'" in error_of(SQLUNet, folder)


@pytest.mark.parametrize("content, words", [
    (b"", "shorter than its 8-byte header"),
    (b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all", "header is not JSON"),
    (b"\xff\xff\xff\x00\x00\x00\x00\x00{}", "header runs past the end"),
])
def test_malformed_weight_file(small_model, content, words):
    _, folder = small_model
    (folder / "diffusion_pytorch_model.safetensors").write_bytes(content)
    assert words in error_of(SQLUNet, folder)


def test_truncated_weight_file(small_model):
    _, folder = small_model
    path = folder / "diffusion_pytorch_model.safetensors"
    path.write_bytes(path.read_bytes()[:-100])
    assert "does not match its shape" in error_of(SQLUNet, folder)


def test_folder_problems(tmp_path, small_model):
    _, folder = small_model
    assert "not found" in error_of(load_model, tmp_path / "missing")
    assert "no config.json" in error_of(load_model, tmp_path)
    (tmp_path / "config.json").write_text("{oops")
    assert "not valid JSON" in error_of(load_model, tmp_path)
    (tmp_path / "config.json").write_text((folder / "config.json").read_text())
    (tmp_path / "diffusion_pytorch_model.bin").write_bytes(b"pickle")
    assert "only a PyTorch .bin weight file" in error_of(load_model, tmp_path)


def test_unreachable_hub_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    message = error_of(load_model, "someone/not-cached-model")
    assert "cannot fetch someone/not-cached-model" in message


def test_bad_samples(small_model):
    _, folder = small_model
    net = SQLUNet(folder)
    x = random_sample(1, 3, 16)
    assert "expected (B, C, H, W)" in error_of(net, x[0, 0], 1)
    assert "4 channels" in error_of(net, random_sample(1, 4, 16), 1)
    assert "multiples of 2" in error_of(net, random_sample(1, 3, 15), 1)
    assert "batch size 0" in error_of(net, x[:0], 1)
    assert "NaN" in error_of(net, np.full_like(x, np.nan), 1)
    assert "3 timesteps for a batch of 1" in error_of(net, x, [1, 2, 3])
    assert "dtype int64" in error_of(net, np.zeros((1, 3, 16, 16), dtype=np.int64), 1)


def test_unknown_engine(small_model):
    _, folder = small_model
    assert "unknown engine 'oracle'" in error_of(unet, folder, random_sample(1, 3, 16), 1, engine="oracle")


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sqldiffusion.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "HF_HUB_OFFLINE": "1"})


@pytest.mark.slow
def test_cli_errors_are_one_line_and_write_nothing(small_model, tmp_path):
    _, folder = small_model
    good = tmp_path / "x.npy"
    np.save(good, random_sample(1, 3, 16))
    bad = tmp_path / "bad.npy"
    bad.write_text("not numpy")
    out = tmp_path / "out.npy"
    cases = [
        (["--model", folder, "-i", bad, "-t", 1, "-o", out], "not a .npy array"),
        (["--model", folder, "-i", tmp_path / "none.npy", "-t", 1, "-o", out], "no such file"),
        (["--model", folder, "-i", good, "-t", "x", "-o", out], "expected a number"),
        (["--model", folder, "-i", good, "-t", 1, "-o", tmp_path / "no" / "out.npy"], "does not exist"),
        (["--model", tmp_path / "nothing", "-i", good, "-t", 1, "-o", out], "not found"),
    ]
    for args, words in cases:
        result = run_cli("unet", *args)
        assert result.returncode == 2, result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and words in errors[0], result.stderr
        assert "Traceback" not in result.stderr
        assert not out.exists()


def _pipeline_folder(tmp_path, with_vqvae: bool):
    """A pipeline folder as diffusers saves it: DDPMPipeline, or an LDMPipeline with its VQ autoencoder."""
    from conftest import SMALL, make_unet
    from diffusers import DDIMScheduler, DDPMPipeline, LDMPipeline, VQModel

    unet = make_unet(SMALL)
    if with_vqvae:
        vqvae = VQModel(in_channels=3, out_channels=3, latent_channels=3, block_out_channels=[8],
                        norm_num_groups=4, num_vq_embeddings=16)
        LDMPipeline(vqvae=vqvae, unet=unet, scheduler=DDIMScheduler()).save_pretrained(tmp_path / "pipe")
    else:
        DDPMPipeline(unet=unet, scheduler=DDIMScheduler()).save_pretrained(tmp_path / "pipe")
    return tmp_path / "pipe"


def test_a_pipeline_folder_with_a_network_we_do_not_run_is_refused_naming_it(tmp_path):
    """A folder drawn from its UNet alone, without a network it names, would make the wrong picture:
    an LDM folder is read whole (its vqvae decodes the latents), one with a text encoder refused."""
    import json

    pytest.importorskip("diffusers")
    folder = _pipeline_folder(tmp_path, with_vqvae=True)
    assert load_model(folder).autoencoder.network.class_name == "VQModel"
    index = json.loads((folder / "model_index.json").read_text())
    index["text_encoder"] = ["transformers", "CLIPTextModel"]
    (folder / "model_index.json").write_text(json.dumps(index))
    message = error_of(load_model, folder)
    assert "LDMPipeline folder" in message and "text_encoder (CLIPTextModel)" in message and \
        "does not run yet" in message and "vqvae" not in message


def test_a_pipeline_folder_of_a_unet_and_a_scheduler_is_read_whole(tmp_path):
    pytest.importorskip("diffusers")
    model = load_model(_pipeline_folder(tmp_path, with_vqvae=False))
    assert model.config.raw["_class_name"] == "UNet2DModel" and model.scheduler_config["_class_name"] == "DDIMScheduler"


@pytest.mark.parametrize("index", ['{"_class_name": "X", "unet": ["diffusers", "UNet3DConditionModel"]}',
                                   ('{"unet": ["diffusers", "UNet2DModel"], '
                                    '"text_encoder": ["transformers", "CLIPTextModel"]}'),
                                   '[1, 2]', '{"unet": "UNet2DModel"}', "not json"])
def test_a_model_index_naming_anything_else_gets_one_line(small_model, index):
    _, folder = small_model
    (folder / "model_index.json").write_text(index)
    assert str(folder) in error_of(load_model, folder)
