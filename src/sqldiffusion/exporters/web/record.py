"""A run of the DuckDB engine recorded, statement by statement, for a page to replay in DuckDB-WASM.

The pipeline runs against DuckDB's recorder (`backends/duckdb/recorder.py`: the DuckDB engine with
its connection taken out), which keeps every statement the engine would execute. A UNet pass is
kept as one step, "run the program at these timesteps", since the page runs the program's
statements one by one to light up its diagram (and a latent model's decode as one step, "run the
decoder"); a fetch of x_t or x0 is kept as a fetch, where the
page reads the picture back to draw it.

The seed is the one thing a page changes: a run is recorded at two sentinel seeds and the two
records must differ only where the sentinel is written, which is where the page writes its seed.
"""

from __future__ import annotations

from ...errors import SQLDiffusionError
from ...events import StepFinished
from ...pipeline import SQLDiffusionPipeline
from ...program import SAMPLE
from ...schedulers.base import PREDICTION
from ...sql_autoencoder import SQLAutoencoder

SEED = "{seed}"  # where a recorded statement takes the page's seed
# seeds the pipeline keeps as they are (it takes them modulo 2**62), whose digits appear nowhere else
SENTINELS = (3_141_592_653_589_793_238, 2_718_281_828_459_045_235)
FETCHED_AS = {SAMPLE: "sample", PREDICTION: "prediction"}  # how the page names the pictures it reads back
PICTURE = "picture"  # how the page names a latent model's decoded picture, read back after the decoder


class PageAutoencoder(SQLAutoencoder):
    """A latent model's autoencoder on the page's recorder: a decode is kept as one op, "run the
    decoder" ({"decode"}), as a UNet pass is, for the page to run its statements one by one."""

    def execute(self, program, on_statement=None, before=None) -> str:
        self.engine.ops.append({"decode": program.output})
        return program.output


def record_run(net, recipe, scheduler, batch: int, vae: PageAutoencoder | None = None) -> list[dict]:
    """The ops of one run of `recipe` (its `scheduler`, planned) making `batch` images, with the seed
    as SEED.

    `net` is an SQLUNet on DuckDB's recorder (`backends.page_recorder()`). Each op is one of {"sql"},
    {"pass"} (the timesteps, then the UNet program), {"fetch", "as"} (a picture read back: "sample"
    or "prediction"), {"step", "total", "timestep"} (a step finished: the two pictures fetched just
    before it are its x_t and x0). With `vae` (a latent model's, on the same recorder), the latents
    are scaled ({"sql"}), decoded ({"decode"}: the decoder's program) and read back as "picture"."""
    records = [[_with_seed(op, seed) for op in _record(net, recipe, scheduler, batch, seed, vae)]
               for seed in SENTINELS]
    if records[0] != records[1] or not any(SEED in _text(op) for op in records[0]):
        raise SQLDiffusionError("this run's statements depend on the seed other than through the noise's seed; "
                                "it cannot be exported for a page")
    return records[0]


def _record(net, recipe, scheduler, batch: int, seed: int, vae: PageAutoencoder | None = None) -> list[dict]:
    engine = net.engine
    engine.ops = []

    def on_event(event) -> None:
        if isinstance(event, StepFinished):
            engine.ops.append({"step": event.step.index, "total": event.step.total, "timestep": event.step.timestep})

    pipe = SQLDiffusionPipeline(net, scheduler, vae)  # the plan asked again is kept, not made again
    pipe.set_progress_bar_config(disable=True)
    pipe(batch_size=batch, **recipe.call_arguments(), seed=seed, output_type="array", on_event=on_event)
    decoded = {op["decode"] for op in engine.ops if "decode" in op}
    return [{**op, "as": PICTURE if op["as"] in decoded else FETCHED_AS.get(op["as"], op["as"])}
            if "fetch" in op else op for op in engine.ops]


def _text(op: dict) -> str:
    return op.get("sql") or op.get("pass") or op.get("fetch") or op.get("decode") or ""


def _with_seed(op: dict, seed: int) -> dict:
    return {k: v.replace(str(seed), SEED) if isinstance(v, str) else v for k, v in op.items()}
