"""Consistency models (diffusers' CMStochasticIterativeScheduler) against diffusers: the plan and
its timesteps, every step with a given noise on every engine, and the one-pass picture of a
class-conditional model of the public configs' shape (tests/graph/test_unet_options.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import make_unet, random_sample, save_unet
from test_unet_options import CONSISTENCY

from sqldiffusion.cli import cli
from sqldiffusion.errors import SQLDiffusionError
from sqldiffusion.pipeline import SQLDiffusionPipeline, denoise
from sqldiffusion.program import SAMPLE
from sqldiffusion.schedulers import make_scheduler, sampler_of_config
from sqldiffusion.schedulers.base import LEVELS
from sqldiffusion.sql_unet import SQLUNet

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")

# the public models' scheduler configs: consistency distillation (40), training on ImageNet (201), on LSUN (151)
CD = dict(num_train_timesteps=40, sigma_min=0.002, sigma_max=80.0)
CT_IMAGENET = dict(num_train_timesteps=201, sigma_min=0.002, sigma_max=80.0)
CT_LSUN = dict(num_train_timesteps=151, sigma_min=0.002, sigma_max=80.0)
PLANS = [(CD, dict(steps=1)), (CD, dict(steps=2)), (CD, dict(timesteps=[22, 0])), (CD, dict(steps=40)),
         (CT_IMAGENET, dict(steps=3)), (CT_IMAGENET, dict(timesteps=[150, 80, 0])), (CT_LSUN, dict(steps=1)),
         (dict(CD, rho=5.0, sigma_data=0.3, clip_denoised=False, s_noise=1.007), dict(steps=3))]


def both(config: dict, plan: dict):
    reference = diffusers.CMStochasticIterativeScheduler(**config)
    reference.set_timesteps(plan.get("steps"), timesteps=plan.get("timesteps"))
    scheduler = make_scheduler("consistency", {"_class_name": "CMStochasticIterativeScheduler", **config})
    scheduler.set_timesteps(plan.get("steps"), plan.get("timesteps"))
    return reference, scheduler


@pytest.mark.parametrize("config, plan", PLANS)
def test_plan_and_sigmas_equal_diffusers(config, plan):
    from sqldiffusion.backends import get_engine

    reference, scheduler = both(config, plan)
    assert scheduler.timesteps == pytest.approx(reference.timesteps.tolist(), rel=0, abs=1e-9)
    engine = get_engine("duckdb")
    scheduler.begin(engine)
    sigmas = [s for _, s in sorted(engine.query(f"SELECT b, sigma FROM {LEVELS}"))]
    np.testing.assert_allclose(sigmas, reference.sigmas.numpy(), rtol=1e-6)
    engine.close()


@pytest.mark.parametrize("config, plan", [PLANS[2], PLANS[4], PLANS[7]])
def test_every_step_with_a_given_noise_equals_diffusers(config, plan, engine, monkeypatch):
    """SAMPLE holds the UNet's input x / sqrt(sigma^2 + sigma_data^2); diffusers' step works on x."""
    import diffusers.schedulers.scheduling_consistency_models as module

    reference, scheduler = both(config, plan)
    data = reference.config.sigma_data
    scale = [float((s ** 2 + data ** 2) ** 0.5) for s in reference.sigmas.tolist()]
    x = torch.from_numpy(random_sample(2, 3, 8, seed=4)) * reference.init_noise_sigma
    try:
        scheduler.begin(engine)
        engine.put_image(SAMPLE, (x / scale[0]).numpy())
        for i, t in enumerate(reference.timesteps):
            eps, z = random_sample(2, 3, 8, seed=10 + i), random_sample(2, 3, 8, seed=20 + i)
            monkeypatch.setattr(module, "randn_tensor", lambda *a, **k: torch.from_numpy(z))
            x = reference.step(torch.from_numpy(eps), t, x).prev_sample
            engine.put_image("eps", eps)
            engine.put_image("z", z)
            scheduler.step(engine, i, "eps", "z" if scheduler.adds_noise(i) else None, 3)
            last = i + 1 == len(reference.timesteps)
            got = engine.fetch_image(SAMPLE, x.shape) * (1.0 if last else scale[i + 1])
            np.testing.assert_allclose(got, x.numpy(), atol=1e-5 * max(1.0, float(x.abs().max())), rtol=0)
    finally:
        engine.drop(SAMPLE, "eps", "z", *scheduler.relations())


@pytest.fixture(scope="module")
def consistency_model(tmp_path_factory):
    """A class-conditional consistency model: the public configs' blocks, random weights, CD scheduler."""
    model = make_unet(CONSISTENCY)
    folder = save_unet(model, tmp_path_factory.mktemp("consistency"))
    (folder / "scheduler_config.json").write_text(json.dumps({"_class_name": "CMStochasticIterativeScheduler", **CD}))
    return model, folder


def diffusers_picture(model, noise, labels, plan):
    reference = diffusers.CMStochasticIterativeScheduler(**CD)
    reference.set_timesteps(plan.get("steps"), timesteps=plan.get("timesteps"))
    x = torch.from_numpy(noise) * reference.init_noise_sigma
    with torch.no_grad():
        for t in reference.timesteps:
            out = model(reference.scale_model_input(x, t), t, class_labels=torch.tensor(labels)).sample
            x = reference.step(out, t, x).prev_sample
    return x.numpy()


def test_the_one_pass_picture_equals_diffusers(consistency_model, engine):
    model, folder = consistency_model
    noise, labels = random_sample(2, 3, 16, seed=5), [3, 7]
    scheduler = make_scheduler("consistency", json.loads((folder / "scheduler_config.json").read_text()))
    scheduler.set_timesteps()  # one pass by default
    assert len(scheduler.timesteps) == 1 and scheduler.timesteps[0] > 1000
    got = denoise(SQLUNet(folder, engine), scheduler, init_noise=noise, class_labels=labels)
    np.testing.assert_allclose(got, diffusers_picture(model, noise, labels, dict(steps=1)), atol=1e-4, rtol=0)


def test_the_pipeline_samples_a_consistency_model_by_its_own_scheduler(consistency_model):
    model, folder = consistency_model
    assert sampler_of_config(json.loads((folder / "scheduler_config.json").read_text()))[0] == "consistency"
    pipe = SQLDiffusionPipeline.from_pretrained(folder)
    passes = []
    noise = random_sample(1, 3, 16, seed=6)
    got = pipe(init_noise=noise, class_labels=9, output_type="latent",
               callback=lambda step, peek: passes.append(step)).images
    assert len(passes) == 1
    np.testing.assert_allclose(got, diffusers_picture(model, noise, [9], dict(steps=1)), atol=1e-4, rtol=0)
    # multistep: SQL noise, seeded; the same seed twice is the same picture, another seed another
    first, again, other = (pipe(timesteps=[22, 0], seed=s, class_labels=[1, 2], batch_size=2,
                                output_type="latent").images
                           for s in (0, 0, 1))
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 1e-3 and np.abs(first).max() <= 1.0 + 1e-6
    one = pipe(init_noise=noise[0], output_type="latent").images  # one image without its batch axis: one label drawn
    assert one.shape == (1, 3, 16, 16)
    with pytest.raises(SQLDiffusionError, match="samples with --sampler consistency, not ddim"):
        pipe(sampler="ddim")


def test_a_ddpm_model_refuses_the_consistency_sampler(tame_model):
    with pytest.raises(SQLDiffusionError, match="--sampler consistency is for consistency models"):
        SQLDiffusionPipeline.from_pretrained(tame_model[1])(sampler="consistency")


def test_the_command_line_draws_a_consistency_model_in_one_pass(consistency_model, tmp_path):
    model, folder = consistency_model
    np.save(tmp_path / "x.npy", random_sample(2, 3, 16, seed=7))
    result = CliRunner().invoke(cli, ["generate", "--model", str(folder), "--class-label", "4,5", "--init-noise",
                                      str(tmp_path / "x.npy"), "--out", str(tmp_path / "p.png"),
                                      "--save-npy", str(tmp_path / "s.npy"), "--no-ascii"])
    assert result.exit_code == 0, result.output
    assert "1 steps" in result.output
    expected = diffusers_picture(model, random_sample(2, 3, 16, seed=7), [4, 5], dict(steps=1))
    np.testing.assert_allclose(np.load(tmp_path / "s.npy"), expected, atol=1e-4, rtol=0)
    bad = CliRunner().invoke(cli, ["generate", "--model", str(folder), "--class-label", "penguin", "--no-ascii",
                                   "--out", str(tmp_path / "q.png")])
    assert "class label 'penguin': names are ImageNet's 1000 classes; this model has 10 classes" in str(bad.exception)


@pytest.mark.parametrize("label, number", [("145", 145), ("king_penguin", 145), ("King Penguin", 145),
                                           ("Aptenodytes patagonica", 145), ("tench", 0), ("toilet_tissue", 999)])
def test_imagenet_class_names(label, number):
    from sqldiffusion.classes import class_number, imagenet_classes

    assert len(imagenet_classes()) == 1000
    assert class_number(label, 1000) == number


def test_an_unknown_class_name_gets_one_line():
    from sqldiffusion.classes import class_number

    with pytest.raises(SQLDiffusionError, match="'penguin' is not an ImageNet class name \\(did you mean king penguin"):
        class_number("penguin", 1000)
