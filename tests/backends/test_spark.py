"""The Spark engine (Spark SQL on a local[2] session) against diffusers: a pass, sampler steps,
the noise, and every option of the engine-parametrised cases merged into two models. Spark runs
these few cases rather than every engine-parametrised one: a pass of the small model takes 15-30
seconds there, most of it Spark's fixed cost per statement."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SMALL, make_unet, random_sample, reference, save_unet

from sqldiffusion.schedulers import DDPMScheduler
from sqldiffusion.sql_unet import SQLUNet

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark_net(spark_engine, tmp_path_factory):
    """The small model with its output layer scaled down (so that a loop of steps stays stable),
    imported once into the session."""
    model = make_unet(SMALL, scale=0.02)
    with torch.no_grad():
        model.conv_out.weight.mul_(0.1)
        model.conv_out.bias.mul_(0.1)
    folder = save_unet(model, tmp_path_factory.mktemp("spark") / "unet")
    net = SQLUNet(folder, spark_engine)
    net.folder = folder
    return model, net


def test_a_pass_equals_diffusers(spark_net):
    model, net = spark_net
    x = random_sample(2, 3, 16, seed=3)
    np.testing.assert_allclose(net(x, [999, 10]), reference(model, x, np.array([999, 10])), atol=1e-4, rtol=0)
    leftover = [t.name for t in net.engine.spark.catalog.listTables() if t.name.startswith("sqld_t")]
    assert leftover == []


# The engine-parametrised option cases (test_parity.OPTIONS), merged into two models so that Spark
# pays its import and first-pass cost twice rather than thirteen times: together they cover every
# option there.
MERGED_OPTIONS = {
    "flip_shift_padding_mid_centre_time_dim_channels_attention": [
        "no_flip_freq_shift_1", "downsample_padding_0", "mid_scale_and_eps", "center_input",
        "time_embedding_dim", "channels_1_in_2_out", "attn_norm_groups", "all_attention",
        "mid_without_attention"],
    "one_head_three_blocks_no_mid": ["one_head", "three_layers_three_blocks", "no_mid_block"],
}


@pytest.mark.parametrize("name", MERGED_OPTIONS)
def test_every_option_equals_diffusers(spark_engine, name, tmp_path):
    from test_parity import OPTIONS

    config = dict(SMALL)
    for option in MERGED_OPTIONS[name]:
        config.update(OPTIONS[option])
    model = make_unet(config, seed=len(name))
    net = SQLUNet(save_unet(model, tmp_path / "unet"), spark_engine)
    x = random_sample(2, config["in_channels"], 8, seed=3)
    np.testing.assert_allclose(net(x, [999, 10.5]), reference(model, x, [999, 10.5]), atol=1e-4, rtol=0)


def test_merged_options_cover_every_option():
    from test_parity import OPTIONS

    merged = [option for options in MERGED_OPTIONS.values() for option in options]
    assert sorted(merged) == sorted(set(OPTIONS) - {"defaults"})  # the small model itself: a pass above


def test_a_warehouse_keeps_the_weights_for_later_runs(spark_net, tmp_path, monkeypatch):
    from sqldiffusion.backends.parameters import layer_matrix
    from sqldiffusion.backends.spark.engine import COMPLETE, SparkEngine, SparkTarget
    from sqldiffusion.graph import unet_layers
    from sqldiffusion.model.source import Model

    _, net = spark_net
    target = SparkTarget(session=net.engine.spark, warehouse=str(tmp_path))
    first = SparkEngine(target)
    namespace = SQLUNet(net.folder, first).namespace
    first.close()
    assert (tmp_path / namespace / COMPLETE).exists()
    monkeypatch.setattr(Model, "tensors", lambda *a: pytest.fail("the weights were read again"))
    again = SparkEngine(target)
    try:
        reused = SQLUNet(net.folder, again)
        layers = reused.engine.dialect.stored_layers(unet_layers(reused.config))
        layer = next(layer for layer in layers if layer.name == "conv_in")
        (stored,) = again.query(f"SELECT m FROM {again.dialect.table(namespace, 'conv_in')}")[0]
        monkeypatch.undo()
        tensors = reused.model.tensors({name: shape for one in layers for name, shape in one.tensors.items()})
        np.testing.assert_array_equal(np.asarray(stored, dtype=np.float32), layer_matrix(layer, tensors))
    finally:
        again.close()


@pytest.mark.parametrize("jvm_rows", [True, False], ids=["built-in-the-jvm", "python-rows"])
def test_a_layer_is_stored_exactly_either_way(spark_engine, monkeypatch, jvm_rows):
    """Weights reach Spark as a local relation built in the JVM from the matrix's bytes, or, where
    that cannot be done (Spark Connect), as Python rows: the same float32 matrix either way."""
    from sqldiffusion.backends.parameters import layer_matrix
    from sqldiffusion.backends.spark import storage
    from sqldiffusion.graph.ops import Layer

    rng = np.random.default_rng(4)
    tensors = {"c.weight": rng.standard_normal((5, 3, 3, 3)).astype(np.float32) * 1e-3,
               "c.bias": rng.standard_normal(5).astype(np.float32)}
    layer = Layer("c", "conv3x3", {"c.weight": (5, 3, 3, 3), "c.bias": (5,)})
    if not jvm_rows:
        monkeypatch.setattr(storage, "_local_matrix", lambda *a: (_ for _ in ()).throw(RuntimeError("no JVM")))
    try:
        storage.store_layer(spark_engine, "`sqld_test.c`", layer, tensors)
        (stored,) = spark_engine.query("SELECT m FROM `sqld_test.c`")[0]
    finally:
        spark_engine.drop("`sqld_test.c`")
    np.testing.assert_array_equal(np.asarray(stored, dtype=np.float32), layer_matrix(layer, tensors))


def test_sql_noise_is_standard_normal_and_reproducible(spark_engine):
    engine = spark_engine
    shape = (2, 3, 32, 32)
    try:
        engine.create("sqld_noise", engine.dialect.gaussian_noise(shape, seed=5, stream=1))
        first = engine.fetch_image("sqld_noise", shape)
        engine.create("sqld_noise", engine.dialect.gaussian_noise(shape, seed=5, stream=1))
        np.testing.assert_array_equal(engine.fetch_image("sqld_noise", shape), first)
        engine.create("sqld_noise", engine.dialect.gaussian_noise(shape, seed=6, stream=1))
        other = engine.fetch_image("sqld_noise", shape)
    finally:
        engine.drop("sqld_noise")
    values = first.ravel()
    assert abs(values.mean()) < 0.05 and abs(values.std() - 1) < 0.05
    assert abs(np.mean(values ** 4) - 3) < 0.3  # normal tails, not uniform ones
    assert abs(np.corrcoef(values[:-1], values[1:])[0, 1]) < 0.05  # neighbours independent
    assert abs(np.corrcoef(values, other.ravel())[0, 1]) < 0.05  # seeds independent


@pytest.mark.parametrize("in_driver", [True, False], ids=["local-relations", "parquet"])
def test_sampler_step_equals_diffusers(spark_engine, monkeypatch, in_driver):
    """One DDPM step with noise, all of its arithmetic in Spark SQL, against DDPMScheduler.step;
    relations held in the driver (a local master's way) and written as Parquet (a cluster's)."""
    import diffusers.schedulers.scheduling_ddpm as ddpm

    from sqldiffusion.pipeline import NOISE, SAMPLE
    from sqldiffusion.schedulers.schedule import SCHEDULE

    engine = spark_engine
    assert engine._in_driver  # local[2]: relations are held in the driver unless told otherwise
    monkeypatch.setattr(engine, "_in_driver", in_driver)
    x, eps, z = (random_sample(1, 3, 8, seed=s) for s in (7, 8, 9))
    ours = DDPMScheduler()
    ours.set_timesteps(timesteps=[500, 250])
    try:
        ours.begin(engine)
        engine.put_image(SAMPLE, x)
        engine.put_image("sqld_eps", eps)
        engine.put_image(NOISE, z)
        ours.step(engine, 0, "sqld_eps", NOISE, 3)
        got = engine.fetch_image(SAMPLE, x.shape)
    finally:
        engine.drop(SCHEDULE, SAMPLE, "sqld_eps", NOISE)
    scheduler = diffusers.DDPMScheduler()
    scheduler.set_timesteps(timesteps=[500, 250])
    monkeypatch.setattr(ddpm, "randn_tensor", lambda *a, **k: torch.from_numpy(z))  # the step's noise: ours
    expected = scheduler.step(torch.from_numpy(eps), 500, torch.from_numpy(x)).prev_sample
    np.testing.assert_allclose(got, expected.numpy(), atol=1e-5, rtol=0)


@pytest.mark.parametrize("sampler, karras", [("dpmpp-2m", False), ("dpmpp-2m", True), ("dpmpp-3m", False),
                                            ("unipc", True), ("heun", True), ("euler-a", False), ("pndm", False)])
def test_scheduler_steps_equal_diffusers(spark_engine, sampler, karras):
    """Three steps of each kind of scheduler in Spark SQL (multistep history, Karras sigmas and the
    interpolated sigma table computed there, Heun's two passes, fresh noise), against diffusers'
    step given the same model outputs (tests/schedulers/test_schedulers.py runs every case on the others)."""
    from test_schedulers import run_steps

    assert max(run_steps(spark_engine, sampler, {}, 3, karras, seed=17)) < 2e-6


# ---- generate-many: Spark as the scheduler of embedded DuckDB tasks --------------------------
# One DDPM step a picture: these check how the pictures are dealt out, stored and skipped, which
# the number of steps does not change (tests/schedulers/test_schedulers.py checks whole loops).
ONE_STEP = (500,)
ONE_STEP_OPTION = ",".join(map(str, ONE_STEP))


def test_parse_seeds():
    from sqldiffusion import SQLDiffusionError
    from sqldiffusion.many import parse_seeds

    assert parse_seeds("0-3,10, 2") == [0, 1, 2, 3, 10]
    for bad in ("5-2", "a", "1,,2", "-3"):
        with pytest.raises(SQLDiffusionError):
            parse_seeds(bad)


def test_generate_many_with_postgres_needs_a_dsn_and_says_so_before_spark_starts():
    from click.testing import CliRunner

    from sqldiffusion.cli import cli

    def refusal(*args: str) -> str:
        result = CliRunner().invoke(cli, ["generate-many", "--seeds", "0-1", "--output", "out", *args])
        assert result.exit_code != 0
        return str(result.exception)

    assert refusal("--engine", "postgres") == "--engine postgres needs --dsn (the server every task connects to)"
    assert refusal("--engine", "duckdb", "--dsn", "postgresql://x") == \
        "--dsn applies to --engine postgres, not duckdb; drop it or choose that engine"
    assert refusal("--warehouse", "w") == \
        "--warehouse applies to --engine spark, not duckdb; drop it or choose that engine"
    unknown = CliRunner().invoke(cli, ["generate-many", "--seeds", "0", "--output", "out", "--db", "x.duckdb"])
    assert unknown.exit_code == 2 and "No such option '--db'" in unknown.output  # each task's DuckDB is its own


def test_generate_many_offers_the_engines_whose_backends_say_how_tasks_run_on_them():
    from sqldiffusion.backends import BACKENDS, backend_package
    from sqldiffusion.many import DEFAULT_ENGINE, ENGINES, SESSION_ENGINE

    assert ENGINES == {"duckdb": "embedded", "postgres": "server", "spark": "session"}
    assert (DEFAULT_ENGINE, SESSION_ENGINE) == ("duckdb", "spark")
    assert [name for name in BACKENDS if not hasattr(backend_package(name), "TASKS")] == ["hyper"]


def test_generate_many_on_postgres_makes_what_generate_makes_there(spark_engine, pg_dsn, small_model, tmp_path):
    """Spark deals the seeds into tasks; each task runs the pipeline on the PostgreSQL server (its
    own session), the model imported there once. Each picture equals the PostgreSQL pipeline's own."""
    import io

    import duckdb
    from PIL import Image

    from sqldiffusion.many import DATASET, Work, generate_many
    from sqldiffusion.pictures import to_pixels
    from sqldiffusion.pipeline import SQLDiffusionPipeline
    from sqldiffusion.recipe import Recipe

    _, folder = small_model
    recipe = Work(str(folder), Recipe("ddpm", None, ONE_STEP, False))
    out = tmp_path / "out"
    assert generate_many(spark_engine.spark, recipe, [0, 1], out, engine="postgres", database=pg_dsn) == (2, 0)
    assert generate_many(spark_engine.spark, recipe, [1, 2], out, engine="postgres", database=pg_dsn) == (1, 1)
    rows = duckdb.sql(f"SELECT seed, png, engine FROM read_parquet('{out / DATASET}/*.parquet')").fetchall()
    assert sorted(seed for seed, _, _ in rows) == [0, 1, 2] and {e for _, _, e in rows} == {"postgres"}
    pipe = SQLDiffusionPipeline.from_pretrained(folder, engine="postgres", database=pg_dsn)
    pipe.set_progress_bar_config(disable=True)
    try:
        for seed, png, _ in rows:
            alone = to_pixels(pipe(timesteps=list(ONE_STEP), seed=seed, output_type="latent").images)[0]
            np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png))), alone)
    finally:
        pipe.unet.engine.close()


def test_generate_many_on_the_session_engine_makes_what_generate_makes_there(spark_engine, small_model, tmp_path):
    """--engine spark: the pictures run as Spark SQL on the generating session itself, the engine's
    own options (a warehouse) passed through; the picture equals the Spark pipeline's own, and a
    rerun skips it."""
    import io

    import duckdb
    from PIL import Image

    from sqldiffusion.backends.spark.engine import COMPLETE, SparkTarget
    from sqldiffusion.many import DATASET, Work, generate_many
    from sqldiffusion.pictures import to_pixels
    from sqldiffusion.pipeline import SQLDiffusionPipeline
    from sqldiffusion.recipe import Recipe

    _, folder = small_model
    recipe, out, warehouse = (Work(str(folder), Recipe("ddpm", None, ONE_STEP, False)), tmp_path / "out",
                              tmp_path / "warehouse")
    target = SparkTarget(warehouse=str(warehouse))
    assert generate_many(spark_engine.spark, recipe, [5], out, engine="spark", database=target) == (1, 0)
    assert generate_many(spark_engine.spark, recipe, [5], out, engine="spark", database=target) == (0, 1)
    assert [p.name for p in warehouse.iterdir() if (p / COMPLETE).exists()]  # the import was kept there
    ((seed, png, engine),) = duckdb.sql(
        f"SELECT seed, png, engine FROM read_parquet('{out / DATASET}/*.parquet')").fetchall()
    assert (seed, engine) == (5, "spark")
    pipe = SQLDiffusionPipeline(SQLUNet(folder, spark_engine))
    pipe.set_progress_bar_config(disable=True)
    alone = to_pixels(pipe(timesteps=list(ONE_STEP), seed=5, output_type="latent").images)[0]
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png))), alone)


# Run by every executor's Python worker at start-up: the first attempt of one partition's task
# raises (a lost task), after touching a marker file, and every later attempt runs as written.
LOSE_FIRST_ATTEMPT = """
from pathlib import Path

from pyspark import TaskContext

import sqldiffusion.many as many

made = many.make_pictures


def make_pictures(*args, **kwargs):
    context = TaskContext.get()
    if context is not None and context.partitionId() == {partition} and context.attemptNumber() == 0:
        Path({marker!r}).touch()
        raise RuntimeError("the first attempt of partition {partition} is lost")
    yield from made(*args, **kwargs)


many.make_pictures = make_pictures
"""


def test_generate_many_on_a_cluster_survives_a_lost_task_and_reruns_idempotently(small_model, tmp_path):
    """`sqldiffusion generate-many` on two executor JVMs (local-cluster); the first attempt of one
    task fails and is retried. Each picture is the one the pipeline makes alone on DuckDB for its
    seed; a rerun makes only the seeds not yet there. (A process of its own: one Spark context per
    process, and the session's local[2] one is taken.)"""
    import io
    import shutil
    import subprocess
    import sys

    import duckdb
    from PIL import Image

    from sqldiffusion.many import DATASET
    from sqldiffusion.pictures import to_pixels
    from sqldiffusion.pipeline import SQLDiffusionPipeline

    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed (apt-get install openjdk-17-jre-headless)")
    _, folder = small_model
    out = tmp_path / "out"

    def many(seeds: str, *extra: str) -> str:
        done = subprocess.run([sys.executable, "-m", "sqldiffusion.cli", "generate-many", "--seeds", seeds,
                               "--model", str(folder), "--timesteps", ONE_STEP_OPTION, "--output", str(out),
                               "--master", "local-cluster[2,1,1024]", *extra],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stderr.strip().splitlines()[-1]

    marker = tmp_path / "failed"
    hooks = tmp_path / "hooks"  # on the executors' Python path alone: the driver runs as a user's would
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(LOSE_FIRST_ATTEMPT.format(partition=1, marker=str(marker)))
    assert many("0-1", "--spark-conf", f"spark.executorEnv.PYTHONPATH={hooks}") == \
        f"2 picture(s) made, 0 already in {out}"
    assert marker.exists()  # a task did fail once, and was retried
    assert many("1-2", "--per-task", "2", "--png") == f"1 picture(s) made, 1 already in {out}"
    found = duckdb.sql(f"SELECT seed, png, digest, engine FROM read_parquet('{out / DATASET}/*.parquet')")
    rows = [dict(zip(("seed", "png", "digest", "engine"), r)) for r in found.fetchall()]
    assert sorted(r["seed"] for r in rows) == [0, 1, 2]  # each once: the failed attempt wrote nothing
    pipe = SQLDiffusionPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    for row in rows:
        alone = to_pixels(pipe(timesteps=list(ONE_STEP), seed=row["seed"], output_type="latent").images)[0]
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(row["png"]))), alone)
        assert row["digest"] == pipe.unet.model.digest and row["engine"] == "duckdb"
    assert sorted(p.name for p in (out / "png").iterdir()) == [f"seed-{s:06d}.png" for s in range(3)]
    # into a table of the session's catalog instead (the warehouse folder of the working directory)
    done = subprocess.run([sys.executable, "-m", "sqldiffusion.cli", "generate-many", "--seeds", "0-1", "--model",
                           str(folder), "--timesteps", ONE_STEP_OPTION, "--table", "pictures", "--master", "local[2]"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    found = duckdb.sql(
        f"SELECT seed, png FROM read_parquet('{tmp_path}/spark-warehouse/pictures/*.parquet')").fetchall()
    assert sorted(seed for seed, _ in found) == [0, 1]
    assert {seed: bytes(png) for seed, png in found} == {r["seed"]: bytes(r["png"]) for r in rows if r["seed"] < 2}


def test_a_consistency_model_pass_equals_diffusers(spark_engine, tmp_path):
    """Class labels, scale-shift norms and resnet resampling, all at once (tests/graph/test_unet_options.py
    checks each on the other engines)."""
    from test_unet_options import CONSISTENCY, diffusers_pass

    model = make_unet(CONSISTENCY)
    net = SQLUNet(save_unet(model, tmp_path / "unet"), spark_engine)
    sample, timesteps, labels = random_sample(2, 3, 16, seed=1), np.array([1095.5, 3.25]), [3, 7]
    np.testing.assert_allclose(net(sample, timesteps, class_labels=labels),
                               diffusers_pass(model, sample, timesteps, labels), atol=1e-4, rtol=0)
