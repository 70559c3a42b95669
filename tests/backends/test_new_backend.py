"""Adding an engine is one folder and one registry line (docs/backends.md, "Adding an engine"): in a
copy of the package, the DuckDB backend copied as `mirror` with one line in BACKENDS takes its
options from its own declarations, passes the engine-parametrised tests and draws DuckDB's picture."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sqldiffusion

HERE = Path(__file__).resolve().parent
REGISTRY_LINE = '    "mirror": ("sqldiffusion.backends.mirror", "DuckDBDialect", "DuckDBEngine"),\n'


@pytest.fixture(scope="module")
def copied(tmp_path_factory):
    """A copy of the package whose BACKENDS holds `mirror`, a copy of backends/duckdb; and the
    environment that imports it."""
    root = tmp_path_factory.mktemp("copy")
    package = root / "sqldiffusion"
    shutil.copytree(Path(sqldiffusion.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(package / "backends" / "duckdb", package / "backends" / "mirror")
    registry = package / "backends" / "__init__.py"
    text = registry.read_text()
    anchor = '    "spark": ("sqldiffusion.backends.spark", "SparkDialect", "SparkEngine"),\n'
    assert anchor in text
    registry.write_text(text.replace(anchor, anchor + REGISTRY_LINE))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    found = subprocess.run([sys.executable, "-c", "import sqldiffusion, sqldiffusion.backends as b; "
                            "print(sqldiffusion.__file__, list(b.BACKENDS))"], env=env, capture_output=True, text=True)
    assert str(package) in found.stdout and "mirror" in found.stdout, found.stdout + found.stderr
    return root, env


@pytest.mark.slow
def test_the_copy_draws_duckdbs_picture_from_a_file(copied, tmp_path):
    root, env = copied
    pictures = {}
    for engine, environment in (("duckdb", None), ("mirror", env)):
        out = tmp_path / f"{engine}.npy"
        # two DDPM steps: the same picture is the point, not the default sampler's eight passes
        done = subprocess.run([sys.executable, "-m", "sqldiffusion", "generate", "--engine", engine, "--db",
                               str(tmp_path / f"{engine}.duckdb"), "--seed", "3", "--timesteps", "500,0",
                               "--save-npy", str(out),
                               "--out", str(tmp_path / f"{engine}.png"), "--quiet", "--no-ascii"],
                              env=environment, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        pictures[engine] = np.load(out)
    assert np.array_equal(pictures["mirror"], pictures["duckdb"])
    # its option is the one flag --db, refused for an engine that does not declare it
    done = subprocess.run([sys.executable, "-m", "sqldiffusion", "generate", "--engine", "postgres",
                           "--db", "x.duckdb"],
                          env=env, capture_output=True, text=True, cwd=tmp_path)
    assert "--db applies to --engine duckdb or mirror, not postgres" in done.stderr


@pytest.mark.slow
def test_the_copy_passes_the_engine_parametrised_tests(copied):
    root, env = copied
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "mirror",
                           str(HERE / "test_primitives.py")],
                          env=env, capture_output=True, text=True, timeout=600, cwd=HERE.parents[1])
    assert done.returncode == 0, done.stdout[-3000:]
    passed = int(done.stdout.strip().splitlines()[-1].split(" passed")[0].split()[-1])
    listed = subprocess.run([sys.executable, "-m", "pytest", "-q", "--co", "-p", "no:cacheprovider", "-k", "duckdb",
                             str(HERE / "test_primitives.py")], capture_output=True, text=True, cwd=HERE.parents[1])
    assert passed == listed.stdout.count("[duckdb") > 10  # every primitive, as many cases as DuckDB's
