"""Hostile model files: whatever a config.json, scheduler_config.json or safetensors header holds,
it is refused with one line before any SQL runs, and nothing it asks for happens.

Every field that shapes the graph or reaches SQL is tried with a string (SQL text among them),
NaN, infinity, a huge number and values of the wrong kind, on a copy of the shipped demo model.
"""

from __future__ import annotations

import json
import shutil
import struct

import pytest
from test_errors import error_of, run_cli

from sqldiffusion import SQLDiffusionError
from sqldiffusion.graph.ops import Graph
from sqldiffusion.graph.unet_config import FIELDS
from sqldiffusion.literals import number
from sqldiffusion.model import load_model
from sqldiffusion.model.schedule import SCHEDULE_FIELDS
from sqldiffusion.model.source import DEMO_FOLDER

# The payload that, as norm_eps, once closed the group-norm statement and wrote a file with COPY.
INJECTION = ("'.length()) AS rstd FROM (SELECT 1 AS b, 1 AS grp, 1.0 AS mean, 1.0 AS s2, 1 AS n)) GROUP BY b) "
             "SELECT 1 AS x /* \" */; COPY (SELECT 42) TO $$pwned.csv$$; WITH st AS (SELECT b FROM (SELECT b, grp, "
             "mean, 1 AS rstd --")
NAN, INF = float("nan"), float("inf")
BAD_VALUES = [INJECTION, "1e-5", NAN, INF, -INF, 1e308, 10 ** 30, [], {}, "2"]
NULLABLE_OK = {k for k, f in FIELDS.items() if f.nullable}


@pytest.fixture
def demo_copy(tmp_path):
    return shutil.copytree(DEMO_FOLDER, tmp_path / "model")


def edit(path, **changes):
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))  # json writes NaN and Infinity as Python reads them back


def bad_values(field) -> list:
    values = list(BAD_VALUES) + [True]
    if field.type is bool:
        values += [0, 1, "true"]
    if field.type is int and field.items is None:
        values += [2.5, 4.0]
    return [v for v in values if not (field.type is bool and v is True)]


CASES = [(key, value) for key, field in FIELDS.items() for value in bad_values(field)]


@pytest.mark.parametrize("key, value", CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)])
def test_every_unet_field_refuses_what_it_cannot_hold(demo_copy, key, value):
    edit(demo_copy / "unet" / "config.json", **{key: value})
    message = error_of(load_model, demo_copy)
    assert key in message and len(message) < 400, message


SCHEDULE_CASES = [(key, value) for key, field in SCHEDULE_FIELDS.items() for value in bad_values(field)]


@pytest.mark.parametrize("key, value", SCHEDULE_CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(SCHEDULE_CASES)])
def test_every_scheduler_field_refuses_what_it_cannot_hold(demo_copy, key, value):
    edit(demo_copy / "scheduler" / "scheduler_config.json", **{key: value})
    message = error_of(load_model, demo_copy)
    assert key in message and "scheduler_config.json" in message and len(message) < 400, message


@pytest.mark.parametrize("key, value, words", [
    ("norm_num_groups", 0, "norm_num_groups is 0"),
    ("attention_head_dim", -32, "attention_head_dim is -32"),
    ("layers_per_block", 1_000_000_000, "layers_per_block is 1000000000"),
    ("block_out_channels", "abc", "block_out_channels is 'abc'"),
    ("block_out_channels", [32, 64, 1 << 20], "block_out_channels is [32, 64, 1048576]"),
    ("down_block_types", ["DownBlock2D", "DownBlock2D", INJECTION], "down block type"),
    ("freq_shift", 16, "freq_shift 16 must be below half"),
    ("_class_name", INJECTION * 100, "is not supported"),
])
def test_named_bad_values(demo_copy, key, value, words):
    edit(demo_copy / "unet" / "config.json", **{key: value})
    message = error_of(load_model, demo_copy)
    assert words in message and len(message) < 400, message


def test_a_config_nested_200000_deep(demo_copy):
    (demo_copy / "unet" / "config.json").write_text("[" * 200_000 + "]" * 200_000)
    assert "nested too deeply" in error_of(load_model, demo_copy)
    shutil.copy(DEMO_FOLDER / "unet" / "config.json", demo_copy / "unet" / "config.json")
    (demo_copy / "scheduler" / "scheduler_config.json").write_text('{"a": ' * 200_000 + "1" + "}" * 200_000)
    assert "nested too deeply" in error_of(load_model, demo_copy)


def test_a_null_sample_size_says_what_to_set(demo_copy):
    from sqldiffusion.pipeline import image_size

    edit(demo_copy / "unet" / "config.json", sample_size=None)
    loaded = load_model(demo_copy)  # a pass at a given size needs none
    assert "set sample_size" in error_of(image_size, loaded.config)


@pytest.mark.parametrize("entry, words", [
    ({"dtype": "F32", "shape": "abc", "data_offsets": [0, 4]}, "not whole numbers"),
    ({"dtype": "F32", "shape": [1], "data_offsets": ["0", "4"]}, "not whole numbers"),
    ({"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}, "not whole numbers"),
    ({"dtype": ["F32"], "shape": [1], "data_offsets": [0, 4]}, "has dtype"),
    ({"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}, "not whole numbers"),
])
def test_safetensors_headers_with_strings_for_numbers(tmp_path, entry, words):
    from sqldiffusion.model.weights import read_safetensors

    header = json.dumps({"x": entry}).encode()
    path = tmp_path / "w.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 4)
    assert words in error_of(read_safetensors, path)
    path.write_bytes(struct.pack("<Q", 400_001) + b"[" * 200_000 + b"]" * 200_000 + b" ")
    assert "nested too deeply" in error_of(read_safetensors, path)


def test_only_finite_numbers_become_sql_literals():
    assert number(1e-05) == "1e-05" and number(16) == "16" and number(-2.5) == "-2.5"
    for value in (INJECTION, "1", NAN, INF, True, None, [1]):
        with pytest.raises((TypeError, ValueError)):
            number(value)


def test_the_graph_takes_no_text_for_a_number():
    graph = Graph()
    with pytest.raises(TypeError):
        graph.add("group_norm", (), (8, 4, 4), "norm", groups=2, eps=INJECTION, silu=False)
    with pytest.raises(TypeError):
        graph.add("group_norm", (), ("8", 4, 4), "norm", groups=2, eps=1e-5, silu=False)
    with pytest.raises(ValueError):
        graph.add("group_norm", (), (8, 4, 4), "norm", groups=2, eps=NAN, silu=False)


ENGINES = ["duckdb", "postgres", "hyper", "spark"]


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("where, key, value", [
    ("unet/config.json", "norm_eps", INJECTION),
    ("unet/config.json", "mid_block_scale_factor", NAN),
    ("scheduler/scheduler_config.json", "beta_start", INJECTION),
])
def test_the_command_line_refuses_a_hostile_model_on_every_engine(demo_copy, tmp_path, engine, where, key, value):
    edit(demo_copy / where, **{key: value})
    out = tmp_path / "picture.png"
    result = run_cli("generate", "--model", demo_copy, "--engine", engine, "--out", out, "--no-ascii", "-q",
                     cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and key in lines[0], result.stderr
    assert not out.exists() and not (tmp_path / "pwned.csv").exists()


@pytest.mark.slow
def test_export_sql_refuses_a_hostile_model(demo_copy, tmp_path):
    edit(demo_copy / "unet" / "config.json", norm_eps=INJECTION)
    script = tmp_path / "script.sql"
    result = run_cli("export-sql", "--model", demo_copy, "--out", script, cwd=tmp_path)
    assert result.returncode == 2 and "norm_eps" in result.stderr, result.stderr
    assert not script.exists()
    result = run_cli("export-sql", "--model", demo_copy, cwd=tmp_path)  # to stdout: nothing written
    assert result.returncode == 2 and result.stdout == "", result.stdout[:200]


def test_a_hostile_model_is_refused_before_any_engine_is_touched(demo_copy, tmp_path):
    import duckdb

    from sqldiffusion import SQLUNet

    edit(demo_copy / "unet" / "config.json", norm_eps=INJECTION)
    database = tmp_path / "models.duckdb"
    with pytest.raises(SQLDiffusionError):
        SQLUNet(demo_copy, "duckdb", str(database))
    assert not database.exists() or duckdb.connect(str(database)).sql(
        "SELECT count(*) FROM information_schema.tables").fetchone()[0] == 0
