"""Hostile input to the two exports: a model folder whose name is a psql command, seeds past what
PostgreSQL holds, a disk that fills up while the page is written, and URL parameters the page's
export lacks.

Each is reproduced for real: a real folder with that name, a real psql on the test PostgreSQL, a
real full file system (tmpfs where we may mount one, else a file-size limit) and a real Chromium.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_errors import run_cli
from test_web import STEPS, browser, demo, finished, local_export, open_page, run_recipes, serve  # noqa: F401 (fixtures)

from sqldiffusion.errors import RunFailed
from sqldiffusion.exporters.web.export import export_web
from sqldiffusion.model.source import DEMO_FOLDER

# A model folder whose name ends the script's first comment line and puts a shell command after it.
HOSTILE = "m\n\\! touch PSQL_PWNED\n--"
PWNED = "PSQL_PWNED"
# The psql meta-commands the script writes itself, and COPY's end of data; no other line has a backslash.
OURS = {"\\set ON_ERROR_STOP on", "\\pset tuples_only on", "\\pset format unaligned", "\\."}
HUGE_SEED = 2 ** 63 - 1  # the largest seed: past 2^62, where the script once drew another picture than generate


def backslash_lines(script: Path) -> set[str]:
    return {line for line in script.read_text().splitlines() if "\\" in line}


def export_sql(model, script: Path, *options, cwd: Path):
    return run_cli("export-sql", "--model", model, "--sampler", "ddim", "--timesteps", "500,0", *options,
                   "--out", script, cwd=cwd)


# ---- export-sql: the model's name ----------------------------------------------------------------
def test_a_model_named_as_a_psql_command_writes_no_command(tmp_path):
    folder = shutil.copytree(DEMO_FOLDER, tmp_path / HOSTILE)
    script = tmp_path / "butterfly.sql"
    result = export_sql(folder, script, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert backslash_lines(script) == OURS
    first = script.read_text().splitlines()[0]
    assert first.startswith("-- sqldiffusion: ") and "m??! touch PSQL_PWNED?--" in first
    script.read_bytes().decode("ascii")  # plain ASCII: nothing a client encoding could turn into a line end


@pytest.mark.slow
def test_psql_runs_the_script_of_a_hostile_name_and_nothing_else(pg_dsn, small_model, tmp_path):
    """The script of a folder named as a shell command, at a seed past bigint, run by psql: no file
    appears, and it prints the picture the pipeline makes on PostgreSQL at that seed."""
    from test_postgres import _psql

    from sqldiffusion import SQLUNet
    from sqldiffusion.backends import get_engine
    from sqldiffusion.pictures import ascii_art, to_pixels
    from sqldiffusion.pipeline import SQLDiffusionPipeline

    folder = shutil.copytree(small_model[1], tmp_path / HOSTILE)
    script = tmp_path / "butterfly.sql"
    result = export_sql(folder, script, "--seed", HUGE_SEED, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    printed = subprocess.run([_psql(), "-q", "-X", "-d", pg_dsn, "-f", str(script)], capture_output=True, text=True,
                             cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert not (tmp_path / PWNED).exists() and not Path(PWNED).exists()
    engine = get_engine("postgres", pg_dsn)
    try:
        pipe = SQLDiffusionPipeline(SQLUNet(folder, engine))
        samples = pipe(batch_size=1, timesteps=[500, 0], seed=HUGE_SEED, sampler="ddim", eta=0.0,
                       output_type="latent").images
    finally:
        engine.close()
    assert printed.stdout.rstrip("\n") == ascii_art(to_pixels(samples)[0])


# ---- export-sql: the seed --------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [2 ** 62 + 4, 2 ** 63 - 1])
def test_the_script_takes_a_seed_as_generate_does(tmp_path, seed):
    """generate takes seeds 0 to 2**63 - 1 and uses them modulo 2**62; the script of a seed is the script
    of that remainder, so it draws generate's picture (and its numbers fit PostgreSQL's bigint)."""
    given, reduced = tmp_path / "given.sql", tmp_path / "reduced.sql"
    for script, value in ((given, seed), (reduced, seed % 2 ** 62)):
        result = export_sql("demo", script, "--seed", value, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    assert given.read_bytes() == reduced.read_bytes()
    assert f"seed {seed % 2 ** 62}," in given.read_text().splitlines()[0]


@pytest.mark.parametrize("seed", ["-1", str(2 ** 63), str(10 ** 27)])
def test_a_seed_outside_0_to_2_63_is_refused_as_generate_refuses_it(tmp_path, seed):
    for command in ("export-sql", "generate"):
        result = run_cli(command, "--seed", seed, cwd=tmp_path)
        assert result.returncode == 2 and "--seed" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_export_sql_to_a_full_standard_output_is_one_line(tmp_path):
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "sqldiffusion.cli", "export-sql", "--steps", "2"],
                                stdout=full, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == "error: could not write the script to standard output (No space left on device)\n"


# ---- export-web on a full disk --------------------------------------------------------------------
def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` and the hash of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def small_disk(tmp_path):
    """mount(size) -> a folder on a tmpfs of that many bytes, unmounted after the test."""
    mounted = []

    def mount(size: int) -> Path:
        disk = tmp_path / f"disk{len(mounted)}"
        disk.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip()}); the file-size limit test covers it")
        mounted.append(disk)
        return disk

    yield mount
    for disk in mounted:
        subprocess.run(["umount", str(disk)], check=True)


def export_web_cli(out: Path, limit: int | None = None):
    """`sqldiffusion export-web OUT` in a subprocess, its files limited to `limit` bytes each if given
    (SIGXFSZ ignored, so a write past it fails with EFBIG as a full disk fails with ENOSPC)."""
    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "sqldiffusion.cli", "export-web", str(out), "--max-batch", "1", "-q"],
                          capture_output=True, text=True, preexec_fn=limited if limit else None,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})


def assert_one_line_refusal(result, out: Path) -> None:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: could not write the page into {out} ("), result.stderr
    assert lines[0].endswith("it is left as it was: free some space or give export-web another folder")


@pytest.fixture(scope="module")
def page_bytes(tmp_path_factory) -> int:
    """The size of the demo's page, exported once to an ordinary disk."""
    out = tmp_path_factory.mktemp("whole") / "site"
    assert export_web_cli(out).returncode == 0
    return sum(p.stat().st_size for p in out.rglob("*") if p.is_file())


@pytest.mark.slow
@pytest.mark.parametrize("room", ["a quarter", "all but the last files"])
def test_export_web_on_a_full_disk_is_one_line_and_leaves_nothing(small_disk, page_bytes, room):
    disk = small_disk(page_bytes // 4 if room == "a quarter" else page_bytes - 16_384)
    out = disk / "site"
    result = export_web_cli(out)
    assert_one_line_refusal(result, out)
    assert "No space left on device" in result.stderr
    assert list(disk.iterdir()) == []  # no page, half or whole, and no work folder


@pytest.mark.slow
def test_a_full_disk_keeps_the_earlier_export(small_disk, page_bytes):
    disk = small_disk(page_bytes * 3 // 2)  # room for one page, not for a second beside it
    out = disk / "site"
    assert export_web_cli(out).returncode == 0
    before = snapshot(out)
    result = export_web_cli(out)
    assert_one_line_refusal(result, out)
    assert snapshot(out) == before and [p.name for p in disk.iterdir()] == ["site"]


@pytest.mark.slow
def test_a_file_size_limit_is_one_line_and_leaves_nothing(tmp_path):
    """The same failure for any user, no mount needed: the weights cannot be written whole."""
    out = tmp_path / "site"
    result = export_web_cli(out, limit=1 << 20)
    assert_one_line_refusal(result, out)
    assert "File too large" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_failed_swap_puts_the_earlier_export_back(tmp_path, demo, monkeypatch):  # noqa: F811
    """If the new folder cannot be moved into place, the earlier one, already moved aside, returns."""
    out = tmp_path / "site"
    export_web(out, demo, run_recipes(demo), max_batch=1)
    before = snapshot(out)
    real_replace = os.replace

    def replace(source, target):
        if Path(source).name == "out":  # the finished work folder: as if the rename failed
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(RunFailed, match="it is left as it was") as info:
        export_web(out, demo, run_recipes(demo), max_batch=1)
    assert "\n" not in str(info.value)
    assert snapshot(out) == before and [p.name for p in tmp_path.iterdir()] == ["site"]


# ---- the page: URL parameters the export lacks -------------------------------------------------
STATES = """document.addEventListener("DOMContentLoaded", () => {
  window.states = [document.body.dataset.state];
  new MutationObserver(() => window.states.push(document.body.dataset.state))
    .observe(document.body, {attributes: true, attributeFilter: ["data-state"]});
});"""


@pytest.mark.slow
@pytest.mark.parametrize("query, line", [
    ("sampler=nonesuch", "sampler nonesuch is not in this export (it has: dpmpp-2m-sde-karras)"),
    ("steps=7", f"7 steps are not in this export for dpmpp-2m-sde-karras (it has: {STEPS})"),  # test_web's run
])
def test_autorun_with_a_run_the_export_lacks_ends_in_error(browser, local_export, query, line):  # noqa: F811
    server, url = serve(local_export)
    try:
        page = open_page(browser, f"{url}index.html?seed=3&{query}&autorun=1", init_script=STATES)
        assert finished(page) == "error"
        assert page.inner_text("#error") == line and page.inner_text("#status") == "Stopped."
        assert "running" not in page.evaluate("window.states")  # no other run was made instead
        assert page.evaluate("window.sqldiffusionResult === undefined")
        assert page.outside == [] and page.errors == []
    finally:
        server.shutdown()
