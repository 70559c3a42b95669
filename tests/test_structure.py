"""The shape of the house: no import cycles between parts, engines named only in backends/, every
backend fills in the contract, and the SQL each dialect generates for one tiny model, kept as
readable files (tests/golden/) so that a change in generated SQL shows in review.
`pytest --update-golden` rewrites them.

None of these tests needs torch or a database.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import sqldiffusion
from sqldiffusion.backends import BACKENDS, dialect_class, engine_class
from sqldiffusion.backends.dialect import Dialect
from sqldiffusion.backends.engine import Engine
from sqldiffusion.graph.ops import OPS
from sqldiffusion.graph.unet_config import UNetConfig
from sqldiffusion.program import INPUTS, render_unet
from sqldiffusion.schedulers import NoiseSchedule
from sqldiffusion.schedulers.alphas import coefficients_sql
from sqldiffusion.schedulers.schedule import schedule_sql
from sqldiffusion.schedulers.sql import noised, sampler_step, slerp

PACKAGE = Path(sqldiffusion.__file__).parent
GOLDEN = Path(__file__).parent / "golden"

# A tiny UNet with every kind of block: attention down and up, a mid block, a skip of each kind.
TINY = dict(sample_size=8, in_channels=3, out_channels=3, block_out_channels=[16, 32], layers_per_block=1,
            down_block_types=["DownBlock2D", "AttnDownBlock2D"], up_block_types=["AttnUpBlock2D", "UpBlock2D"],
            norm_num_groups=8, attention_head_dim=16)


def _imported(parts: list[str], is_package: bool, source: str) -> list[tuple[str, list[str]]]:
    """The package's modules one module (`parts`, dotted without 'sqldiffusion.') imports, at the top
    or inside functions, as (module, names imported from it)."""
    imports = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level:  # relative to this module's package
            base = parts if is_package else parts[:-1]
            base = base[:len(base) - node.level + 1]
            imports.append((".".join([*base, *([node.module] if node.module else [])]), [a.name for a in node.names]))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqldiffusion"):
            imports.append((node.module.removeprefix("sqldiffusion").lstrip("."), [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            imports += [(a.name.removeprefix("sqldiffusion").lstrip("."), []) for a in node.names
                        if a.name.startswith("sqldiffusion")]
    return imports


def _found() -> dict[str, list[tuple[str, list[str]]]]:
    """For each module of the package (dotted, without 'sqldiffusion.'; "" for the package itself),
    what it imports (`_imported`)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = _imported(parts, is_package, path.read_text())
    return found


def _imports() -> dict[str, set[str]]:
    """For each module of the package (dotted, without 'sqldiffusion.'; "" for the package itself),
    the modules of the package it imports, at the top or inside functions."""
    found = _found()
    modules = set(found)
    resolved = {}
    for name, imports in found.items():
        targets = set()
        for module, names in imports:
            # `from . import pictures` imports the module pictures; `from .graph import Graph`, graph
            submodules = {f"{module}.{n}".lstrip(".") for n in names} & modules
            targets |= submodules if submodules and len(submodules) == len(names) else {module}
        resolved[name] = {t for t in targets if t in modules and t != name}
    return resolved


def _part(module: str) -> str:
    return module.split(".")[0] or "sqldiffusion"


def test_no_import_cycles_between_parts():
    """Parts are subpackages and top-level modules; the path config -> graph -> program -> backend ->
    model -> pipeline -> cli runs one way."""
    edges: dict[str, set[str]] = {}
    for module, targets in _imports().items():
        edges.setdefault(_part(module), set()).update(_part(t) for t in targets if _part(t) != _part(module))
    edges.pop("sqldiffusion", None)  # the package's __init__ re-exports the public API
    done, on_path = set(), []

    def visit(part):
        if part in on_path:
            cycle = on_path[on_path.index(part):] + [part]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if part in done:
            return
        on_path.append(part)
        for target in sorted(edges.get(part, ())):
            visit(target)
        on_path.pop()
        done.add(part)

    for part in sorted(edges):
        visit(part)


def test_the_graph_knows_no_backend_and_backends_know_no_other():
    imports = _imports()
    for module, targets in imports.items():
        if _part(module) in ("graph", "model"):
            assert not {t for t in targets if _part(t) in ("backends", "program", "pipeline")}, module
        if module.startswith("backends."):
            own = module.split(".")[1]
            others = {t.split(".")[1] for t in targets if t.startswith("backends.") and t.count(".") >= 2}
            assert others <= {own, "dialect", "engine", "storage", "noise", "parameters"}, (module, others)


ENGINES = sorted(package.removeprefix("sqldiffusion.") for package, _, _ in BACKENDS.values())  # backends.duckdb, ...


def _engines_named(imports: list[tuple[str, list[str]]]) -> set[str]:
    """The engine packages that `imports` reach, whole or any module or name of theirs."""
    reached = {m for module, names in imports for m in (module, *(f"{module}.{n}" for n in names))}
    return {engine for engine in ENGINES for m in reached if m == engine or m.startswith(engine + ".")}


def test_nothing_outside_backends_imports_an_engine():
    """Engines are named only in backends/: every other part reaches one through `sqldiffusion.backends`
    (get_engine, get_dialect, the options each declares, the recorders the exporters run)."""
    named = {module: _engines_named(imports) for module, imports in _found().items() if _part(module) != "backends"}
    assert not {module: engines for module, engines in named.items() if engines}


@pytest.mark.parametrize("source, engines", [
    ("from ..backends.duckdb.storage import half_values_sql", {"backends.duckdb"}),
    ("from ..backends import get_engine, postgres", {"backends.postgres"}),
    ("def export():\n    from sqldiffusion.backends.hyper import engine", {"backends.hyper"}),
    ("import sqldiffusion.backends.spark.engine", {"backends.spark"}),
    ("from ..backends import get_engine, page_recorder\nfrom ..backends.recording import RecordingEngine", set()),
])
def test_an_engine_imported_outside_backends_is_seen(source, engines):
    assert _engines_named(_imported(["exporters", "psql"], False, source)) == engines


@pytest.mark.parametrize("name", list(BACKENDS))
def test_every_backend_fills_in_the_contract(name):
    dialect, engine = dialect_class(name), engine_class(name)
    for cls, contract in ((dialect, Dialect), (engine, Engine)):
        assert issubclass(cls, contract)
        assert not inspect.isabstract(cls), f"{cls.__name__} leaves {sorted(cls.__abstractmethods__)} unwritten"
    for op in set(OPS) - set(INPUTS):  # the inputs are relations the engine fills
        assert callable(getattr(dialect, op, None)), f"{name} renders no {op}"
    for op, method in dialect.lowered_ops.items():
        assert callable(getattr(dialect, method, None)), f"{name} lowers to {op} but renders none"
    # its command-line options, declared in its package (no driver loaded), and where its runs happen
    from sqldiffusion.backends import backend_package
    from sqldiffusion.backends.options import Option

    package = backend_package(name)
    assert all(isinstance(o, Option) for o in package.OPTIONS) and callable(package.target)
    assert set(inspect.signature(package.target).parameters) == {o.dest for o in package.OPTIONS}
    assert isinstance(engine.describe(None), str) and (engine.durable or engine.why_not_durable)
    # how generate-many's tasks run on it, if they can (backends/options.py)
    tasks = getattr(package, "TASKS", None)
    assert tasks in (None, "embedded", "server", "session")
    if tasks == "server":
        assert package.OPTIONS, f"{name}: a server engine needs an option naming its server"
    if tasks == "session":
        assert set(package.SESSION_OPTIONS) <= {o.flag for o in package.OPTIONS} and callable(package.open_session)


def golden_dialect(name: str):
    """The dialect as the golden files show it. DuckDB: two threads, and Winograd from 16 channels
    and any size, so that the tiny model shows both ways of convolving."""
    if name == "duckdb":
        return dialect_class(name)(parts=2, winograd_min_work=0, winograd_min_channels=16)
    return dialect_class(name)()


def golden_text(dialect) -> str:
    """Everything the dialect writes for one picture of the tiny model: the pass, the schedule,
    the noise, a step's coefficients and the sampler step."""
    config = UNetConfig.from_dict(TINY)
    schedule = NoiseSchedule(num_train_timesteps=10)
    sections = [
        ("the timesteps relation", dialect.timesteps([9, 4.5])),
        ("the schedule", schedule_sql(schedule, dialect)),
        ("x_T: noise of seed 7, stream 0", dialect.gaussian_noise((2, 3, 8, 8), 7, 0)),
        ("a DDPM step's coefficients, 9 -> 4", coefficients_sql("ddpm", schedule, 9, 4, noisy=True)),
        ("the sampler step", sampler_step(dialect, "sqld_sample", "sqld_eps", "sqld_noise", "sqld_step", 1.0, 3)),
        ("a picture noised (image-to-image, RePaint's undo)",
         noised(dialect, "sqld_image", "sqld_noise", "sqld_step", 3)),
        ("a RePaint step", sampler_step(dialect, "sqld_sample", "sqld_eps", "sqld_noise", "sqld_step", 1.0, 3,
                                                known=("sqld_image", "sqld_mask"))),
        ("two noises interpolated on the sphere", slerp(dialect, "sqld_from", "sqld_to", 4, 3)),
    ]
    text = f"-- {dialect.name}: one UNet pass of the tiny test model at 8x8, then the sampler's SQL\n\n"
    text += render_unet(config, 8, 8, dialect, "sqld_tiny").text()
    for title, sql in sections:
        text += f"\n-- {title}\n{sql};\n"
    return text


@pytest.mark.parametrize("name", list(BACKENDS))
def test_generated_sql_matches_the_golden_file(name, request):
    path = GOLDEN / f"{name}.sql"
    text = golden_text(golden_dialect(name))
    if request.config.getoption("--update-golden"):
        path.write_text(text)
    assert path.exists(), f"no {path.name}: run pytest --update-golden"
    assert text == path.read_text(), f"the {name} SQL changed: review it, then run pytest --update-golden"
