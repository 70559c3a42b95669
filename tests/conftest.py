"""Shared helpers: random-initialised diffusers models saved in the diffusers layout, the reference
pass, and engines of every registered backend.

torch and diffusers are imported only by the helpers that need them, so the tests that need neither
(pictures, plans, SQL text, errors) run without them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sqldiffusion.backends import BACKENDS, backend_package

HERE = Path(__file__).resolve().parent

# A small config every option test starts from (changed one option at a time).
SMALL = dict(
    sample_size=16, in_channels=3, out_channels=3, block_out_channels=[16, 32], layers_per_block=1,
    down_block_types=["DownBlock2D", "AttnDownBlock2D"], up_block_types=["AttnUpBlock2D", "UpBlock2D"],
    norm_num_groups=8, attention_head_dim=8,
)


def planned(sampler: str = "ddpm", schedule=None, steps: int | None = None, timesteps=None, karras: bool = False,
            **options):
    """Our scheduler of a sampler's short name on `schedule` (a NoiseSchedule or a config; by
    default diffusers' defaults), its plan set: `steps`, or a list of `timesteps`."""
    from sqldiffusion.schedulers import make_scheduler

    scheduler = make_scheduler(sampler, schedule, use_karras_sigmas=karras, **options)
    scheduler.set_timesteps(steps, timesteps)
    return scheduler


def public_config(name: str) -> dict:
    """The configs of the public models; a copy lives in tests/configs so the tests stand alone."""
    return json.loads((HERE / "configs" / f"{name}.json").read_text())


def make_unet(config: dict, seed: int = 0, scale: float = 0.05):
    """A diffusers UNet2DModel with every parameter perturbed (zero-initialised layers hide bugs)."""
    torch = pytest.importorskip("torch")
    diffusers = pytest.importorskip("diffusers")
    torch.manual_seed(seed)
    model = diffusers.UNet2DModel(**{k: v for k, v in config.items() if not k.startswith("_")}).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * scale)
    return model


def save_unet(model, folder: Path, dtype: str = "fp32") -> Path:
    import torch

    if dtype == "fp32":
        model.save_pretrained(folder)
    else:
        torch_dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}[dtype]
        model.to(torch_dtype).save_pretrained(folder, variant="fp16" if dtype == "fp16" else None)
        model.to(torch.float32)  # weights now carry the rounding of the saved dtype
    return folder


def reference(model, sample: np.ndarray, timestep) -> np.ndarray:
    import torch

    with torch.no_grad():
        t = torch.tensor(timestep)  # a tensor keeps a fractional timestep (a bare float is truncated)
        return model(torch.from_numpy(sample), t).sample.numpy()


def random_sample(batch: int, channels: int, height: int, width: int | None = None, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, channels, height, width or height)).astype(np.float32)


@pytest.fixture(scope="session")
def small_template(tmp_path_factory):
    """The small model, made once: tests get their own copy of its folder (some edit it) and share
    the torch model (used only as the reference, never changed)."""
    model = make_unet(SMALL)
    return model, save_unet(model, tmp_path_factory.mktemp("template") / "small")


@pytest.fixture
def small_model(small_template, tmp_path):
    import shutil

    model, template = small_template
    return model, Path(shutil.copytree(template, tmp_path / "small"))


@pytest.fixture(scope="session")
def tame_model(tmp_path_factory):
    """A small random model whose noise prediction is scaled down: (the torch model, its folder).

    A random network's prediction has nothing to do with its input, and a 20-step loop amplifies
    any rounding difference exponentially: diffusers against itself, with 1e-5 added to each
    prediction, ends 0.14 apart. Scaling the output layer keeps the loop stable, so a comparison
    of whole loops measures our arithmetic, not that chaos.
    """
    torch = pytest.importorskip("torch")
    model = make_unet(SMALL, scale=0.02)
    with torch.no_grad():
        model.conv_out.weight.mul_(0.1)
        model.conv_out.bias.mul_(0.1)
    return model, save_unet(model, tmp_path_factory.mktemp("tame") / "unet")


@pytest.fixture(scope="session")
def pg_dsn():
    """A PostgreSQL server for the session: SQLDIFFUSION_TEST_DSN (as .ci/run starts one), else a
    throwaway server of our own."""
    import os

    pytest.importorskip("psycopg")
    dsn = os.environ.get("SQLDIFFUSION_TEST_DSN")
    if dsn:
        yield dsn
        return
    from sqldiffusion.backends.postgres.server import ThrowawayServer
    from sqldiffusion.errors import SQLDiffusionError

    try:
        server = ThrowawayServer.start()
    except SQLDiffusionError as e:
        pytest.skip(f"no PostgreSQL server for the tests: {e}")
    yield server.dsn
    server.stop()


@pytest.fixture(scope="session")
def pg_engine(pg_dsn):
    from sqldiffusion.backends import get_engine

    engine = get_engine("postgres", pg_dsn)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def spark_engine():
    """One local Spark session (2 cores) for the session's Spark cases; skips where Java or pyspark
    is missing."""
    import shutil

    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    if shutil.which("java") is None and not __import__("os").environ.get("JAVA_HOME"):
        pytest.skip("Java is not installed (apt-get install openjdk-17-jre-headless): the Spark cases need it")
    from sqldiffusion.backends import get_engine
    from sqldiffusion.backends.spark.engine import SparkTarget

    engine = get_engine("spark", SparkTarget(master="local[2]"))
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def hyper_engine():
    """One Hyper process for the session: the small model is imported once (weights live per process)."""
    pytest.importorskip("tableauhyperapi", reason="the hyper extra is not installed")
    from sqldiffusion.backends import get_engine

    engine = get_engine("hyper")
    yield engine
    engine.close()


# Spark runs its own cases (tests/backends/test_spark.py): a first pass of the small model takes 30-45 s there
# (Spark's fixed cost per statement), so the whole parametrised set would take most of an hour
def declared_tests(name: str) -> str:
    """What a backend says the tests run on it (its package's TESTS: backends/options.py)."""
    return getattr(backend_package(name), "TESTS", "all")


PARAMETRISED = [name for name in BACKENDS if declared_tests(name) != "statements"]


@pytest.fixture(params=PARAMETRISED)
def engine(request):
    """An engine of each registered backend but Spark: DuckDB in memory (a new one per test);
    PostgreSQL on the session's server and Hyper in one process (both shared; every relation a run
    makes is temporary)."""
    yield from _engine_named(request, request.param)


@pytest.fixture(params=list(BACKENDS))
def every_engine(request):
    """As `engine`, Spark too (its session shared), for tests of a few statements each."""
    yield from _engine_named(request, request.param)


def _engine_named(request, name: str):
    shared = {"postgres": "pg_engine", "hyper": "hyper_engine", "spark": "spark_engine"}
    if name in shared:
        yield request.getfixturevalue(shared[name])
        return
    from sqldiffusion.backends import get_engine

    engine = get_engine(name)
    yield engine
    engine.close()


def pytest_collection_modifyitems(config, items):
    """Cases run on an engine that is not fast (by its own declaration: in the process, in memory)
    are part of the slow set: the fast subset (-m "not slow") runs on DuckDB in memory alone."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        engines = {callspec.params.get(key) for key in ("engine", "every_engine")} if callspec is not None else set()
        if any(declared_tests(name) != "fast" for name in engines - {None}) \
                or "pg_dsn" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/*.sql from the SQL the dialects generate now")
