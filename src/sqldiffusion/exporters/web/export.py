"""The static folder `sqldiffusion export-web` writes: the page, the model's weights, the SQL it runs.

    OUT_DIR/index.html, page.js, runner.js, png.js, notice.js, diagram.js, *.css   the page (no server code)
    OUT_DIR/manifest.json   model digest, DuckDB-WASM version and location, samplers, sizes, files
    OUT_DIR/network.json    the weight tables (how each is built), the UNet program, the diagram, and
                            for a latent model its autoencoder's decoder program (run after the loop)
    OUT_DIR/runs.json       every exported run, recorded statement by statement (record.py)
    OUT_DIR/weights.bin     each table's values, little-endian: fp16 where that is exact, else float32
    OUT_DIR/duckdb-wasm/    DuckDB-WASM and its Arrow library, when copied from a local npm install

Every statement is the DuckDB engine's, made by the same dialect, import, program and loop that a
native run uses, at one thread (DuckDB's recorder, `backends/duckdb/recorder.py`). The page
creates each table from its values with the statement the engine's import runs; fp16 values are
widened to float32 in SQL, exactly.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ... import provenance
from ...backends import page_recorder
from ...backends.recording import RecordingEngine
from ...diagram import diagram
from ...errors import RunFailed, SQLDiffusionError, first_line
from ...model import Model
from ...pipeline import decoded_relations, image_size, relations
from ...preflight import Estimate, estimate, gib, latent_estimate
from ...recipe import Recipe
from ...schedulers import Scheduler
from ...sql_autoencoder import DECODE
from ...sql_unet import SQLUNet
from .record import PageAutoencoder, record_run

PINNED = "1.32.0"  # @duckdb/duckdb-wasm: DuckDB v1.4.3 inside (docs/browser.md)
PACKAGES = {"@duckdb/duckdb-wasm": PINNED, "apache-arrow": "17.0.0", "flatbuffers": "24.12.23", "tslib": "2.9.1"}
CDN = "https://cdn.jsdelivr.net/npm/"  # serves each npm package's files as they are, by version
# what the page loads of each package, as npm lays it out (the Arrow library's ES modules, whole)
ENTRY = {"@duckdb/duckdb-wasm": "dist/duckdb-browser.mjs", "apache-arrow": "Arrow.dom.mjs",
         "flatbuffers": "mjs/flatbuffers.js", "tslib": "tslib.es6.mjs"}
BUNDLES = {"eh": ("dist/duckdb-eh.wasm", "dist/duckdb-browser-eh.worker.js"),
           "mvp": ("dist/duckdb-mvp.wasm", "dist/duckdb-browser-mvp.worker.js")}
MAX_BATCH = 4
PAGE_MEMORY = 3 << 30  # a run's estimated peak a page may need: DuckDB-WASM addresses at most 4 GiB
UPLOAD = "sqld_upload"  # the relation the page inserts each table's values as: (i INTEGER, h USMALLINT | a FLOAT)
FORMAT = "sqldiffusion-web/1"
STATIC = Path(__file__).resolve().parent / "static"
SHARED = Path(__file__).resolve().parents[2] / "serve" / "static"  # the look and the diagram, shared with serve
PAGE_FILES = {"index.html": STATIC, "page.js": STATIC, "runner.js": STATIC, "png.js": STATIC, "notice.js": STATIC,
              "diagram.js": SHARED, "style.css": SHARED, "web.css": STATIC}
ENGINE = "duckdb-wasm"  # what the page's pictures say drew them
# where the page puts a run's seed and batch into a recipe's settings (the seed as its digits: up to
# 2^63 - 1, more than a JavaScript number holds)
SEED_MARK, BATCH_MARK = "@SEED@", "@BATCH@"


@dataclass(frozen=True)
class Offer:
    """One way to sample the page offers: a recipe, planned once, as the page's menus name it."""

    key: str  # how the page's settings and URL name it: "dpmpp-2m-karras/6"
    label: str
    recipe: Recipe
    scheduler: Scheduler  # the recipe's, its plan made: every recorded run of the offer runs it

    @property
    def timesteps(self) -> tuple[float, ...]:
        return tuple(self.scheduler.planned)

    def entry(self) -> dict:
        """The manifest's entry for it (page.js)."""
        r = self.recipe
        return {"key": self.key, "label": self.label, "sampler": r.sampler, "karras": r.karras,
                "add_noise": r.add_noise, "steps": len(self.timesteps), "timesteps": list(self.timesteps)}


def offers(model: Model, chosen: list[Recipe]) -> list[Offer]:
    """The runs to export, from the recipes the command line chose (one per key)."""
    made: dict[str, Offer] = {}
    for recipe in chosen:
        scheduler = recipe.planned(model.scheduler_config)
        visited = scheduler.planned
        name = recipe.sampler + ("-karras" if recipe.karras else "")
        key = f"{name}/{'blog' if recipe.blog else len(visited)}"
        label = (f"{recipe.sampler}{' (Karras sigmas)' if recipe.karras else ''}, "
                 f"{'the blog’s schedule' if recipe.blog else f'{len(visited)} steps'}")
        made[key] = Offer(key, label, recipe, scheduler)
    return list(made.values())


def export_web(out_dir: Path, model: Model, chosen: list[Recipe], duckdb_wasm: str | None = None,
               max_batch: int | None = None, on_progress=None) -> dict:
    """Write the page's folder for `model` and the `chosen` recipes, batches 1 .. max_batch (default: as
    many as fit in a page's memory, up to MAX_BATCH). Returns the manifest.

    The folder is written beside `out_dir` and moved into place at the end: a failure leaves what
    was there. An existing `out_dir` is replaced only if it is empty or an earlier export."""
    say = on_progress or (lambda line: None)
    out_dir = Path(out_dir)
    _check_target(out_dir)
    model.untexted("export-web")  # the page has no prompt box, nor a text encoder to run
    config = model.config
    if config.class_conditional:
        raise SQLDiffusionError("this model is class-conditional; the page does not take class labels yet: "
                                "export a model that is not")
    height, width = image_size(config)
    shown_size = picture_size(model)
    if max_batch is None:  # as many as fit, up to MAX_BATCH
        fitting = [b for b in range(1, MAX_BATCH + 1) if run_estimate(model, b).total <= PAGE_MEMORY]
        max_batch = fitting[-1] if fitting else 1
    if not 1 <= max_batch <= MAX_BATCH:
        raise SQLDiffusionError(f"--max-batch {max_batch}: a page makes 1 to {MAX_BATCH} images at once")
    need = run_estimate(model, max_batch)
    if need.total > PAGE_MEMORY:
        raise SQLDiffusionError(f"a run of {max_batch} image(s) of {shown_size[0]}x{shown_size[1]} "
                                f"would need about {gib(need.total)}, "
                                f"more than a page's DuckDB can hold ({gib(PAGE_MEMORY)} of its 4 GiB); "
                                "export a smaller model or a smaller --max-batch")
    source = wasm_source(duckdb_wasm)
    chosen = offers(model, chosen)
    recorder = page_recorder()
    net = SQLUNet(model, recorder)
    program = net.program(height, width)
    vae = None if model.autoencoder is None else PageAutoencoder(model.autoencoder, recorder)
    decoder = None if vae is None else vae.program(DECODE, *shown_size)
    say(f"recording {len(chosen)} run(s) x {max_batch} batch size(s)")
    runs = {f"{r.key}@{b}": record_run(net, r.recipe, r.scheduler, b, vae)
            for r in chosen for b in range(1, max_batch + 1)}
    made = [name for r in chosen for name in relations(program, r.scheduler)]
    made += [] if decoder is None else decoded_relations(decoder)
    read = set(program.tables()) | set([] if decoder is None else decoder.tables())
    tables, blob = _weights([upload for table, upload in recorder.uploads.items() if table in read],  # import's order
                            recorder.half_values_sql)
    network = {"namespace": net.namespace, "tables": tables, "program": _statements(recorder, program),
               "output": program.output, "output_shape": list(program.output_shape),
               "diagram": diagram(config, program),
               "cleanup": _dropped(recorder, list(dict.fromkeys(made))),
               "setup": ["SET autoinstall_known_extensions = false", "SET autoload_known_extensions = false",
                         "SET preserve_insertion_order = false",
                         *(f"CREATE SCHEMA IF NOT EXISTS {recorder.dialect.quote(namespace)}"
                           for namespace in [net.namespace, *([] if vae is None else [vae.namespace])])]}
    if decoder is not None:  # run by the page after the loop, on the latents the run scaled (runner.js)
        network["decoder"] = {"namespace": vae.namespace, "program": _statements(recorder, decoder),
                              "output": decoder.output, "output_shape": list(decoder.output_shape)}
    files = {"weights.bin": blob, "network.json": _json(network), "runs.json": _json(runs)}
    try:
        with tempfile.TemporaryDirectory(dir=out_dir.resolve().parent, prefix=f".{out_dir.name}.") as tmp:
            work = Path(tmp) / "out"
            work.mkdir()
            for name, data in files.items():
                (work / name).write_bytes(data)
            packages = copy_wasm(source, work / "duckdb-wasm", say) if source["local"] else source["packages"]
            manifest = {
                "format": FORMAT,
                # shape: the pictures' (a latent model's decoded); sample_shape: the loop's, which the steps show
                "model": {"name": model.name, "digest": model.digest,
                          "shape": [config.in_channels, height, width] if decoder is None
                          else list(decoder.output_shape),
                          "sample_shape": [config.in_channels, height, width],
                          "parameters": int(sum(t["count"] for t in tables))},
                "duckdb_wasm": {"version": PINNED, "location": "duckdb-wasm/" if source["local"] else source["url"],
                                "packages": packages},
                "recipes": [r.entry() for r in chosen], "default": chosen[0].key, "max_batch": max_batch,
                "provenance": {r.key: settings_template(model, r) for r in chosen},
                "memory": {str(b): run_estimate(model, b).total for b in range(1, max_batch + 1)},
                "files": {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                          for name, data in files.items()},
            }
            (work / "manifest.json").write_bytes(_json(manifest))
            _write_page(work, source, packages)
            _swap_in(work, out_dir)
    except OSError as e:  # a full disk, a quota: the work folder is gone with its temporary parent
        raise RunFailed(f"could not write the page into {out_dir} ({e.strerror or first_line(e)}); it is left as it "
                        "was: free some space or give export-web another folder") from None
    say(f"wrote {out_dir}: {len(blob) / 1e6:.1f} MB of weights, {len(runs)} recorded run(s)")
    return manifest


def picture_size(model: Model) -> tuple[int, int]:
    """The size of the page's pictures: the samples', decoded where the model is a latent one."""
    height, width = image_size(model.config)
    factor = 1 if model.autoencoder is None else model.autoencoder.config.factor
    return height * factor, width * factor


def run_estimate(model: Model, batch: int) -> Estimate:
    """The preflight's estimate of a page's run of `batch` images (a latent model's with its decoder)."""
    height, width = image_size(model.config)
    if model.autoencoder is None:
        return estimate(model.config, height, width, batch)
    return latent_estimate(model.config, model.autoencoder.config, height, width, batch)


def settings_template(model: Model, offer: Offer) -> dict:
    """The text chunks the page's final picture carries (png.js), as generate's would, with SEED_MARK
    and BATCH_MARK where the page puts its run's seed and batch: the plan as its number of steps,
    or the blog's timesteps."""
    recipe = offer.recipe
    made = provenance.record("generate", model=model.name, digest=model.digest, engine=ENGINE,
                             size=picture_size(model), batch=BATCH_MARK, seed=SEED_MARK, sampler=recipe.sampler,
                             autoencoder_digest=None if model.autoencoder is None else model.autoencoder.digest,
                             karras=recipe.karras, eta=0.0, noise=recipe.add_noise,
                             clip_sample=offer.scheduler.schedule.clip_sample,
                             steps=None if recipe.blog else len(offer.timesteps),
                             timesteps=list(recipe.timesteps) if recipe.blog else None)
    return provenance.chunks(made)


# ---- where the page's DuckDB-WASM comes from ---------------------------------------------------
def wasm_source(given: str | None) -> dict:
    """A URL (an npm CDN's root; default jsDelivr) or a local npm install to copy from."""
    given = CDN if given is None else given
    if re.match(r"^https?://", given):
        if not re.fullmatch(r"https?://[A-Za-z0-9.\-]+(:\d+)?(/[A-Za-z0-9._~\-/@+]*)?", given):
            raise SQLDiffusionError(f"--duckdb-wasm {given}: give a plain URL (letters, digits and ./-_~@+ only)")
        url = given if given.endswith("/") else given + "/"
        return {"local": False, "url": url, "packages": dict(PACKAGES)}
    return {"local": True, "root": _node_modules(Path(given))}


def _node_modules(given: Path) -> Path:
    """The node_modules folder holding @duckdb/duckdb-wasm, from its dist/, its package folder, the
    node_modules folder itself or the folder npm installed into."""
    for candidate in (given.parent.parent.parent, given.parent.parent, given, given / "node_modules"):
        package = candidate / "@duckdb" / "duckdb-wasm" / "package.json"
        if package.is_file():
            version = json.loads(package.read_text()).get("version")
            if version != PINNED:
                raise SQLDiffusionError(f"--duckdb-wasm {given} holds @duckdb/duckdb-wasm {version}; the page is "
                                        f"made for {PINNED}: npm install @duckdb/duckdb-wasm@{PINNED}")
            return candidate
    raise SQLDiffusionError(f"--duckdb-wasm {given}: no @duckdb/duckdb-wasm there; give the folder npm installed "
                            f"it into (npm install @duckdb/duckdb-wasm@{PINNED}), its dist/ folder, or a URL")


def copy_wasm(source: dict, target: Path, say) -> dict:
    """Copy what the page loads of each package, laid out as npm lays it out. Returns the versions."""
    root: Path = source["root"]
    versions = {}
    for name in PACKAGES:
        folder = root / name
        if not (folder / ENTRY[name]).is_file():
            raise SQLDiffusionError(f"--duckdb-wasm: {name} is missing from {root}; install @duckdb/duckdb-wasm "
                                    f"with npm there (it brings {name} along)")
        versions[name] = json.loads((folder / "package.json").read_text()).get("version")
        if name == "@duckdb/duckdb-wasm":
            wanted = ["dist/duckdb-browser.mjs", *(path for pair in BUNDLES.values() for path in pair)]
        elif name == "apache-arrow":
            wanted = [str(p.relative_to(folder)) for p in folder.rglob("*.mjs")
                      if p.relative_to(folder).parts[0] != "bin"]
        elif name == "flatbuffers":
            wanted = [str(p.relative_to(folder)) for p in (folder / "mjs").rglob("*.js")]
        else:
            wanted = [ENTRY[name]]
        for path in wanted:
            (target / name / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / path, target / name / path)
    say(f"copied DuckDB-WASM {versions['@duckdb/duckdb-wasm']} into duckdb-wasm/")
    return versions


def _write_page(work: Path, source: dict, packages: dict) -> None:
    """The page's files; index.html with the import map that names where each package lives."""
    base = {name: (f"./duckdb-wasm/{name}/" if source["local"] else f"{source['url']}{name}@{packages[name]}/")
            for name in PACKAGES}
    imports = {name: base[name] + ENTRY[name] for name in PACKAGES}
    bundles = {build: {"mainModule": base["@duckdb/duckdb-wasm"] + wasm,
                       "mainWorker": base["@duckdb/duckdb-wasm"] + worker}
               for build, (wasm, worker) in BUNDLES.items()}
    importmap = json.dumps({"imports": imports}, indent=1).replace("</", "<\\/")
    remote = "" if source["local"] else " " + re.match(r"^https?://[^/]+", source["url"]).group(0)
    digest = hashlib.sha256(importmap.encode()).digest()
    csp = (f"default-src 'none'; script-src 'self'{remote} "
           f"'wasm-unsafe-eval' 'sha256-{base64.b64encode(digest).decode()}' "
           f"blob:; worker-src 'self' blob:; connect-src 'self'{remote}; img-src 'self' data: blob:; style-src 'self'; "
           "base-uri 'none'; form-action 'none'")
    for name, folder in PAGE_FILES.items():
        text = (folder / name).read_text()
        if name == "index.html":
            text = (text.replace("<!--IMPORTMAP-->", f'<script type="importmap">{importmap}</script>')
                    .replace("<!--CSP-->", f'<meta http-equiv="Content-Security-Policy" content="{csp}">'))
        (work / name).write_text(text)
    (work / "bundles.json").write_bytes(_json(bundles))


# ---- what the page runs ------------------------------------------------------------------------
def _statements(recorder: RecordingEngine, program) -> list[dict]:
    """The program as the engine runs it: each statement's CREATE and the DROPs after it."""
    out = []
    for s in program.statements:
        recorder.ops = []
        recorder.create(s.target, s.sql)
        create = recorder.ops.pop()["sql"]
        recorder.drop(*s.drops)
        out.append({"target": s.target, "create": create, "drops": [op["sql"] for op in recorder.ops],
                    "label": s.label, "category": s.category, "op": s.op, "shape": list(s.shape)})
    return out


def _dropped(recorder: RecordingEngine, names) -> list[str]:
    recorder.ops = []
    recorder.drop(*names)
    return [op["sql"] for op in recorder.ops]


def _weights(uploads, half_values_sql) -> tuple[list[dict], bytes]:
    """Each table's values in one blob (4-byte aligned), fp16 bits where they widen back exactly."""
    tables, parts, offset = [], [], 0
    for upload in uploads:
        values = np.ascontiguousarray(upload.values, dtype=np.float32)
        half = values.astype(np.float16)
        if np.isfinite(half).all() and np.array_equal(half.astype(np.float32), values):
            data, encoding, relation = half.view("<u2").tobytes(), "f16", half_values_sql(UPLOAD)
        else:
            data, encoding, relation = (values.astype("<f4").tobytes(), "f32",
                                        f"(SELECT i::BIGINT AS i, a FROM {UPLOAD})")
        data += b"\0" * (-len(data) % 4)
        tables.append({"table": upload.table, "encoding": encoding, "count": int(values.size), "offset": offset,
                       "sql": upload.sql.format(values=relation)})
        parts.append(data)
        offset += len(data)
    return tables, b"".join(parts)


def _json(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


# ---- the folder ----------------------------------------------------------------------------------
def _check_target(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise SQLDiffusionError(f"{out_dir} is a file; give export-web a folder to write (a new name makes one)")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not _is_export(out_dir):
        raise SQLDiffusionError(f"{out_dir} holds files that are not an export-web folder; give a new or empty folder")
    parent = out_dir.resolve().parent
    if not parent.is_dir():
        raise SQLDiffusionError(f"{out_dir}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise SQLDiffusionError(f"{out_dir}: cannot write in folder {parent}")


def _is_export(folder: Path) -> bool:
    try:
        return json.loads((folder / "manifest.json").read_text()).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def _swap_in(work: Path, out_dir: Path) -> None:
    """Move the finished folder into place; an earlier export there is removed only after."""
    old = None
    if out_dir.exists():
        old = work.parent / "old"
        os.replace(out_dir, old)
    try:
        os.replace(work, out_dir)
    except OSError:
        if old is not None:  # put the earlier export back before its temporary parent is removed
            os.replace(old, out_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
