"""Text to image: BK-SDM-Tiny's architecture in SQL on DuckDB beside diffusers on PyTorch, same machine, same run.

    python benchmarks/text_to_image.py [--threads 2] [--steps 8] [--sql-256-limit 240] [--deadline EPOCH]
                                       [--keep FOLDER] [--small]

Builds a StableDiffusionPipeline folder with random weights in the diffusers layout, saved as fp16
(`save_pretrained(variant="fp16")` of the pipeline cast to torch.float16: `*.fp16.safetensors`;
both sides read those files back as float32):
- the UNet of nota-ai/bk-sdm-tiny (SD 1.x's UNet2DConditionModel with block_out_channels 320-640-1280,
  cross-attention at all three levels, one layer per block, no mid block, cross_attention_dim 768,
  attention_head_dim 8, sample_size 64: 323.4M parameters);
- SD 1.5's text encoder (CLIP ViT-L/14's: hidden 768, 12 layers, 12 heads, intermediate 3072,
  quick_gelu, 49,408 tokens, 77 positions) and a small CLIPTokenizer (the real vocabulary is not
  reachable offline; the ids stay small, which changes no cost);
- SD's AutoencoderKL, and TAESD (AutoencoderTiny's defaults) saved beside it for `pipe.vae = ...`;
- a DDIM scheduler config with SD's betas; the pictures run DPM-Solver++ 2M Karras
  (sampler "dpmpp-2m", use_karras_sigmas=True; diffusers' DPMSolverMultistepScheduler dpmsolver++,
  order 2, Karras sigmas).
Weights are diffusers' / transformers' initialisation plus N(0, 0.02) noise, with the UNet's conv_out
scaled by 0.1 (a random net's loop stays tame).

Each side runs in a child process of its own (its peak memory is its own), torch with `--threads`
threads and DuckDB with as many, float32, from the same inputs: the import (SQL: into a DuckDB file
in a temporary folder, whose size is printed), the text encoder on one prompt, one guided UNet pass
(batch 2: unconditional + conditional) at 128 and 256 px (latents 16x16 and 32x32), the KL and the
TAESD decode at 128 px, and a whole 128 px picture (guided 7.5, `--steps` steps, decoded by TAESD as
the pipeline's vae). The 256 px picture runs in SQL only if the 128 px one took under
`--sql-256-limit` seconds and it is expected to end before `--deadline`; otherwise it is computed
from the measured 256 px pass x steps + the TAESD decode at 256 px (taken as 4x the measured one at
128 px) + the 128 px picture's measured overhead beyond its passes and decode, and labelled so.
The 512 px pass is not run: the preflight's estimate (and refusal, if it refuses on this machine)
is printed instead.

The UNet passes are profiled per statement (the engine's on_statement callback: wall and CPU
seconds by statement category) beside each category's share of the pass's multiply-adds, counted in
PyTorch by module (convolutions, linear layers and attention's two products).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import pickle
import queue as queues
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from unet_pass import peak_rss_mib  # benchmarks/ is on the path of a script run from it

# nota-ai/bk-sdm-tiny's unet/config.json (diffusers' defaults fill the rest): SD 1.5's UNet less its innermost
# level (the 1280-channel DownBlock2D / UpBlock2D), its mid block and a layer per block, 323M parameters. (Its
# three levels all have cross-attention; with a DownBlock2D / UpBlock2D at 1280 channels it would be 219M.)
UNET = {
    "sample_size": 64, "in_channels": 4, "out_channels": 4, "layers_per_block": 1,
    "block_out_channels": [320, 640, 1280], "cross_attention_dim": 768, "attention_head_dim": 8,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
    "mid_block_type": None, "norm_num_groups": 32, "act_fn": "silu", "center_input_sample": False,
    "downsample_padding": 1, "flip_sin_to_cos": True, "freq_shift": 0, "norm_eps": 1e-05,
}
SMALL_UNET = dict(UNET, block_out_channels=[32, 64, 128], cross_attention_dim=64, attention_head_dim=4)
# runwayml/stable-diffusion-v1-5's text_encoder/config.json
TEXT = {"vocab_size": 49408, "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
        "num_attention_heads": 12, "max_position_embeddings": 77, "hidden_act": "quick_gelu",
        "projection_dim": 768, "layer_norm_eps": 1e-05}
SMALL_TEXT = dict(TEXT, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4)
# SD's vae/config.json
VAE = {"in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 2,
       "block_out_channels": [128, 256, 512, 512], "norm_num_groups": 32, "scaling_factor": 0.18215,
       "sample_size": 512, "act_fn": "silu",
       "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4}
SMALL_VAE = dict(VAE, block_out_channels=[16, 32, 32, 32], norm_num_groups=8)
SCHEDULE = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "clip_sample": False,
            "set_alpha_to_one": False, "steps_offset": 1, "num_train_timesteps": 1000}
PROMPT = "the cat and the can on the thin tin"
PASS_TIMESTEP = 500
GUIDANCE = 7.5


# ---- the pipeline folder ----------------------------------------------------------------------------
def byte_characters() -> list[str]:
    """GPT-2's (and CLIP's) printable stand-in for each byte, in byte-vocabulary order."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = [b for b in range(256) if b not in printable]
    return [chr(b) for b in printable] + [chr(256 + n) for n in range(len(others))]


MERGES = [("t", "h"), ("th", "e</w>"), ("c", "a"), ("ca", "t</w>"), ("a", "n"), ("an", "d</w>"), ("o", "n"),
          ("i", "n</w>")]


def write_tokenizer(folder: Path):
    """A CLIP tokenizer of a few merges in CLIP's vocabulary order (as tests/pipeline/test_text_to_image.py)."""
    import transformers

    folder.mkdir(parents=True)
    chars = byte_characters()
    tokens = chars + [c + "</w>" for c in chars] + ["".join(m) for m in MERGES] + ["<|startoftext|>", "<|endoftext|>"]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(" ".join(m) for m in MERGES) + "\n")
    return transformers.CLIPTokenizer.from_pretrained(str(folder), model_max_length=77)


def perturbed(model, scale: float = 0.02):
    import torch

    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * scale)
    return model.eval()


def make_pipeline(root: Path, small: bool = False) -> dict:
    """The pipeline folder root/pipe (fp16 variant files) and TAESD in root/taesd; returns parameter counts."""
    import diffusers
    import torch
    import transformers

    torch.manual_seed(0)
    tokenizer = write_tokenizer(root / "tokenizer-source")
    text = perturbed(transformers.CLIPTextModel(transformers.CLIPTextConfig(
        **(SMALL_TEXT if small else TEXT), bos_token_id=len(tokenizer) - 2, eos_token_id=len(tokenizer) - 1,
        pad_token_id=len(tokenizer) - 1)))
    unet = perturbed(diffusers.UNet2DConditionModel(**(SMALL_UNET if small else UNET)))
    with torch.no_grad():
        unet.conv_out.weight.mul_(0.1)
        unet.conv_out.bias.mul_(0.1)
    vae = perturbed(diffusers.AutoencoderKL(**(SMALL_VAE if small else VAE)))
    taesd = perturbed(diffusers.AutoencoderTiny())
    pipe = diffusers.StableDiffusionPipeline(vae=vae, text_encoder=text, tokenizer=tokenizer, unet=unet,
                                             scheduler=diffusers.DDIMScheduler(**SCHEDULE), safety_checker=None,
                                             feature_extractor=None, requires_safety_checker=False)
    pipe.to(torch.float16).save_pretrained(root / "pipe", variant="fp16")
    taesd.to(torch.float16).save_pretrained(root / "taesd", variant="fp16")

    def count(m, prefix=()):
        return sum(p.numel() for n, p in m.named_parameters() if not prefix or n.startswith(prefix))

    return {"unet": count(unet), "text_encoder": count(text), "vae": count(vae),
            "vae decoder": count(vae, ("decoder.", "post_quant_conv.")), "taesd decoder": count(taesd, ("decoder.",))}


def folder_mib(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*.safetensors")) / 2**20


# ---- multiply-adds by module (PyTorch) ----------------------------------------------------------------
def count_macs(module, run) -> dict[str, int]:
    """Multiply-adds of `run()` by module name: convolutions, linear layers, and attention's QK^T and AV
    (as `<the Attention module>.attention` or `.cross_attention`, the SQL statements' labels)."""
    import torch
    from diffusers.models.attention_processor import Attention

    found: dict[str, int] = defaultdict(int)

    def conv(name):
        def hook(m, args, kwargs, out):
            found[name] += out.numel() * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
        return hook

    def linear(name):
        def hook(m, args, kwargs, out):
            found[name] += out.numel() * m.in_features
        return hook

    def attention(name):
        def hook(m, args, kwargs, out):
            x = args[0] if args else kwargs["hidden_states"]
            context = kwargs.get("encoder_hidden_states")
            b, n = x.shape[0], x.shape[2] * x.shape[3] if x.ndim == 4 else x.shape[1]
            tokens = n if context is None else context.shape[1]
            found[f"{name}.{'attention' if context is None else 'cross_attention'}"] += 2 * b * n * tokens * m.inner_dim
        return hook

    hooks = []
    for name, m in module.named_modules():
        kind = conv if isinstance(m, torch.nn.Conv2d) else linear if isinstance(m, torch.nn.Linear) else \
            attention if isinstance(m, Attention) else None
        if kind is not None:
            hooks.append(m.register_forward_hook(kind(name), with_kwargs=True))
    try:
        run()
    finally:
        for h in hooks:
            h.remove()
    return dict(found)


# ---- PyTorch ------------------------------------------------------------------------------------------
def best_of(n, run):
    times, out = [], None
    for _ in range(n):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return min(times), out


def dpm_karras(pipe):
    import diffusers

    return diffusers.DPMSolverMultistepScheduler.from_config(pipe.scheduler.config, algorithm_type="dpmsolver++",
                                                             solver_order=2, use_karras_sigmas=True)


def torch_side(root, inputs, threads, steps, queue):
    import diffusers
    import torch

    torch.set_num_threads(threads)
    result = {}
    start = time.perf_counter()
    pipe = diffusers.StableDiffusionPipeline.from_pretrained(root / "pipe", variant="fp16", torch_dtype=torch.float32,
                                                             safety_checker=None, requires_safety_checker=False)
    taesd = diffusers.AutoencoderTiny.from_pretrained(root / "taesd", variant="fp16", torch_dtype=torch.float32)
    result["import_s"] = time.perf_counter() - start
    pipe.set_progress_bar_config(disable=True)
    pipe.scheduler = dpm_karras(pipe)
    unet, vae = pipe.unet.eval(), pipe.vae.eval()
    with torch.no_grad():
        ids = torch.from_numpy(inputs["ids"])
        pipe.text_encoder(ids)  # warm-up
        result["text_s"], hidden = best_of(3, lambda: pipe.text_encoder(ids).last_hidden_state)
        result["text_out"] = hidden.numpy()
        context = torch.from_numpy(inputs["context"])
        for size in (128, 256):
            x = torch.from_numpy(inputs[f"x{size}"])
            macs = count_macs(unet, lambda: unet(x, PASS_TIMESTEP, encoder_hidden_states=context))  # also warms up
            result[f"macs{size}"] = macs
            result[f"pass{size}_s"], out = best_of(3, lambda: unet(x, PASS_TIMESTEP,
                                                                   encoder_hidden_states=context).sample)
            result[f"pass{size}_out"] = out.numpy()
        z = torch.from_numpy(inputs["z16"])
        vae.decode(z)
        result["kl_gmac"] = sum(count_macs(vae, lambda: vae.decode(z)).values()) / 1e9
        result["kl_s"], out = best_of(2, lambda: vae.decode(z).sample)
        result["kl_out"] = out.numpy()
        taesd.decode(z)
        result["taesd_gmac"] = sum(count_macs(taesd, lambda: taesd.decode(z)).values()) / 1e9
        result["taesd_s"], out = best_of(3, lambda: taesd.decode(z).sample)
        result["taesd_out"] = out.numpy()
        pipe.vae = taesd

        def picture(size):
            latents = pipe(PROMPT, height=size, width=size, num_inference_steps=steps, guidance_scale=GUIDANCE,
                           latents=torch.from_numpy(inputs[f"x{size}"][1:]), output_type="latent").images
            return taesd.decode(latents / taesd.config.scaling_factor).sample.numpy()

        picture(128)  # warm-up
        result["picture128_s"], result["picture128"] = best_of(2, lambda: picture(128))
        result["picture256_s"], result["picture256"] = best_of(1, lambda: picture(256))
    result["peak_mib"] = peak_rss_mib()
    queue.put(("done", result))


# ---- SQL on DuckDB ------------------------------------------------------------------------------------
def profiled(record):
    """An on_statement callback that adds each statement's wall and CPU seconds to `record`."""
    def on_statement(statement, wall, cpu):
        record.append((statement.label, statement.category, statement.op, wall, cpu))
    return on_statement


def sql_side(root, inputs, threads, steps, limit_256, deadline, queue):
    import duckdb  # noqa: F401  - loaded before timing

    from sqldiffusion import SQLStableDiffusionPipeline
    from sqldiffusion.errors import SQLDiffusionError
    from sqldiffusion.preflight import available_memory, check_fits, estimate, gib

    def progress(text):
        queue.put(("progress", text))

    result = {}
    database = str(root / "t2i.duckdb")  # in the run's temporary folder, removed with it
    start = time.perf_counter()
    pipe = SQLStableDiffusionPipeline.from_pretrained(root / "pipe", database=database)
    result["import_s"] = time.perf_counter() - start
    engine = pipe.unet.engine
    engine.con.execute(f"SET threads = {threads}")
    pipe.set_progress_bar_config(disable=True)
    result["database_mib"] = sum(os.path.getsize(p) for p in root.glob("t2i.duckdb*")) / 2**20  # with its WAL
    progress(f"SQL import (UNet, text encoder, KL VAE) {result['import_s']:.1f} s, database "
             f"{result['database_mib']:.0f} MiB")

    # 512 px: the preflight's word, not a run
    config = pipe.unet.config
    for size in (16, 32, 64):
        found = estimate(config, size, size, 2)
        result[f"estimate{size * 8}_gib"] = found.total / 2**30
    try:
        check_fits(config, 64, 64, 2)
        result["preflight512"] = f"accepted (about {gib(estimate(config, 64, 64, 2).total)})"
    except SQLDiffusionError as e:
        result["preflight512"] = f"refused: {e}"
    available = available_memory()
    result["available_gib"] = available / 2**30 if available else None

    record = []
    start = time.perf_counter()
    result["text_out"] = pipe.text_encoder.encode(inputs["ids"], on_statement=profiled(record))
    result["text_s"] = time.perf_counter() - start
    result["text_profile"] = record
    progress(f"SQL text encoder {result['text_s']:.1f} s")

    for size in (128, 256):
        record = []
        start = time.perf_counter()
        result[f"pass{size}_out"] = pipe.unet(inputs[f"x{size}"], PASS_TIMESTEP, profiled(record),
                                              encoder_hidden_states=inputs["context"])
        result[f"pass{size}_s"] = time.perf_counter() - start
        result[f"pass{size}_profile"] = record
        progress(f"SQL guided pass at {size} px {result[f'pass{size}_s']:.1f} s")

    start = time.perf_counter()
    result["kl_out"] = pipe.vae.decode(inputs["z16"])
    result["kl_s"] = time.perf_counter() - start
    progress(f"SQL KL decode at 128 px {result['kl_s']:.1f} s")
    start = time.perf_counter()
    pipe.vae = str(root / "taesd")
    result["taesd_import_s"] = time.perf_counter() - start
    start = time.perf_counter()
    result["taesd_out"] = pipe.vae.decode(inputs["z16"])
    result["taesd_s"] = time.perf_counter() - start
    progress(f"SQL TAESD import {result['taesd_import_s']:.1f} s, decode at 128 px {result['taesd_s']:.1f} s")

    def picture(size):
        marks = []
        start = time.perf_counter()
        images = pipe(PROMPT, height=size, width=size, num_inference_steps=steps, guidance_scale=GUIDANCE,
                      latents=inputs[f"x{size}"][1:], sampler="dpmpp-2m", use_karras_sigmas=True,
                      output_type="array", callback=lambda step, peek: marks.append(time.perf_counter())).images
        end = time.perf_counter()
        return images, end - start, marks[-1] - start, end - marks[-1]

    result["picture128"], result["picture128_s"], result["loop128_s"], result["decode128_s"] = picture(128)
    progress(f"SQL picture at 128 px {result['picture128_s']:.1f} s (loop {result['loop128_s']:.1f} s, "
             f"decode {result['decode128_s']:.1f} s)")
    # the 256 px picture: drawn only where the 128 px one was quick and it should end before the deadline
    overhead = result["picture128_s"] - steps * result["pass128_s"] - result["taesd_s"]
    expected = steps * result["pass256_s"] + 4 * result["taesd_s"] + overhead
    result["computed256_s"] = expected
    if result["picture128_s"] < limit_256 and (deadline is None or time.time() + 1.2 * expected < deadline):
        progress(f"SQL picture at 256 px: drawing it (expected about {expected:.0f} s)")
        result["picture256"], result["picture256_s"], result["loop256_s"], result["decode256_s"] = picture(256)
    result["peak_mib"] = peak_rss_mib()
    queue.put(("done", result))


def in_child(target, *args):
    """Runs target(*args, queue) in a spawned process; prints its progress lines, returns its result."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=target, args=(*args, queue))
    process.start()
    while True:
        try:
            message = queue.get(timeout=5)
        except queues.Empty:
            if not process.is_alive():
                raise SystemExit(f"{target.__name__} died (exit code {process.exitcode})") from None
            continue
        if message[0] == "progress":
            print("#", message[1], flush=True)
            continue
        process.join()
        return message[1]


# ---- the report -----------------------------------------------------------------------------------------
def error(a, b) -> float:
    return float(np.abs(np.asarray(a) - np.asarray(b)).max() / np.ptp(b))


def profile_table(record, macs: dict[str, int]):
    """Wall and CPU seconds by category, beside that category's share of the multiply-adds (each
    PyTorch module's MACs go to the SQL statement whose label is the module or its nearest parent)."""
    by_label: dict[str, str] = {}
    time_of = defaultdict(lambda: [0.0, 0.0, 0])
    for label, category, _op, wall, cpu in record:
        by_label.setdefault(label, category)
        k = time_of[category]
        k[0] += wall
        k[1] += cpu
        k[2] += 1
    mac_of = defaultdict(int)
    unplaced = 0
    for name, n in macs.items():
        parts = fused(name, by_label).split(".")
        for cut in range(len(parts), 0, -1):
            label = ".".join(parts[:cut])
            if label in by_label:
                mac_of[by_label[label]] += n
                break
        else:
            unplaced += n
    total_wall = sum(v[0] for v in time_of.values())
    total_macs = sum(macs.values())
    rows = []
    for category, (wall, cpu, count) in sorted(time_of.items(), key=lambda kv: -kv[1][0]):
        rows.append((category, count, wall, cpu, wall / total_wall, mac_of[category] / max(total_macs, 1)))
    return rows, unplaced / max(total_macs, 1), [n for n in macs if not placed(fused(n, by_label), by_label)]


def placed(name: str, labels) -> bool:
    parts = name.split(".")
    return any(".".join(parts[:cut]) in labels for cut in range(1, len(parts) + 1))


def fused(name: str, labels) -> str:
    """The SQL statement a PyTorch module's work is in, where SQL fuses modules: attn1's to_q, to_k and
    to_v are one `attn1.qkv`, attn2's to_k and to_v one `attn2.kv`, GEGLU's proj `proj.hidden` (+ `.gate`)."""
    head, _, last = name.rpartition(".")
    for alias in ((f"{head}.qkv", f"{head}.kv") if last in ("to_q", "to_k", "to_v") else ()) + (f"{name}.hidden",):
        if alias in labels:
            return alias
    return name


def top_statements(record, n=8):
    return sorted(record, key=lambda r: -r[3])[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--sql-256-limit", type=float, default=240,
                        help="draw the 256 px picture in SQL only if the 128 px one took under this (seconds)")
    parser.add_argument("--deadline", type=float, help="a Unix time the 256 px SQL picture must end before")
    parser.add_argument("--keep", type=Path, help="save the pipeline folder here (default: a temporary folder)")
    parser.add_argument("--small", action="store_true", help="small networks of the same kinds, to try the script")
    parser.add_argument("--results", type=Path, help="keep both sides' measurements here (a pickle), or, where "
                        "the file exists, print the report from it without running")
    args = parser.parse_args()
    if args.results and args.results.exists():
        with open(args.results, "rb") as f:
            report(*pickle.load(f), args.steps)
        return

    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        params = make_pipeline(root, args.small)
        print(f"# {os.cpu_count()} cores, {args.threads} threads; parameters: "
              + ", ".join(f"{k} {v / 1e6:.1f}M" for k, v in params.items())
              + f"; fp16 files {folder_mib(root / 'pipe'):.0f} MiB + TAESD {folder_mib(root / 'taesd'):.1f} MiB",
              flush=True)
        from sqldiffusion.tokenizer import PromptTokenizer

        ids = PromptTokenizer(root / "pipe" / "tokenizer")(PROMPT)
        rng = np.random.default_rng(0)
        text = SMALL_TEXT if args.small else TEXT
        channels = (SMALL_UNET if args.small else UNET)["cross_attention_dim"]
        assert channels == text["hidden_size"]
        inputs = {"ids": ids,
                  "context": rng.standard_normal((2, 77, channels)).astype(np.float32),
                  "x128": rng.standard_normal((2, 4, 16, 16)).astype(np.float32),
                  "x256": rng.standard_normal((2, 4, 32, 32)).astype(np.float32),
                  "z16": rng.standard_normal((1, 4, 16, 16)).astype(np.float32)}
        ref = in_child(torch_side, root, inputs, args.threads, args.steps)
        print(f"# PyTorch: text {ref['text_s']:.3f} s, pass 128 {ref['pass128_s']:.2f} s, 256 "
              f"{ref['pass256_s']:.2f} s, picture 128 {ref['picture128_s']:.2f} s, 256 {ref['picture256_s']:.2f} s",
              flush=True)
        got = in_child(sql_side, root, inputs, args.threads, args.steps, args.sql_256_limit, args.deadline)
    if args.results:
        with open(args.results, "wb") as f:
            pickle.dump((got, ref), f)
    report(got, ref, args.steps)


def report(got: dict, ref: dict, steps: int) -> None:
    gmac = {s: sum(ref[f"macs{s}"].values()) / 1e9 for s in (128, 256)}
    print(f"\nimport: SQL {got['import_s']:.1f} s (UNet + text encoder + KL VAE into a DuckDB file of "
          f"{got['database_mib']:.0f} MiB) + TAESD {got['taesd_import_s']:.1f} s; PyTorch {ref['import_s']:.1f} s")
    print(f"{'':44} {'SQL s':>8} {'PyTorch s':>9} {'ratio':>6} {'max err/range':>13}")

    def row(name, sql_s, torch_s, err=None):
        e = f"{err:13.1e}" if err is not None else ""
        print(f"{name:44} {sql_s:8.1f} {torch_s:9.3f} {sql_s / torch_s:6.1f} {e}")

    row("text encoder, 1 prompt (77 tokens)", got["text_s"], ref["text_s"], error(got["text_out"], ref["text_out"]))
    for s in (128, 256):
        row(f"guided UNet pass, {s} px (batch 2, {gmac[s]:.0f} GMAC)", got[f"pass{s}_s"], ref[f"pass{s}_s"],
            error(got[f"pass{s}_out"], ref[f"pass{s}_out"]))
    row(f"KL decode, 128 px ({ref['kl_gmac']:.0f} GMAC)", got["kl_s"], ref["kl_s"], error(got["kl_out"], ref["kl_out"]))
    row(f"TAESD decode, 128 px ({ref['taesd_gmac']:.1f} GMAC)", got["taesd_s"], ref["taesd_s"],
        error(got["taesd_out"], ref["taesd_out"]))
    row(f"picture 128 px, {steps} steps DPM++ 2M Karras, TAESD", got["picture128_s"], ref["picture128_s"],
        error(got["picture128"], ref["picture128"]))
    if "picture256_s" in got:
        row(f"picture 256 px, {steps} steps (measured)", got["picture256_s"], ref["picture256_s"],
            error(got["picture256"], ref["picture256"]))
    else:
        row(f"picture 256 px, {steps} steps (SQL computed)", got["computed256_s"], ref["picture256_s"])
        print(f"  (computed: {steps} x pass {got['pass256_s']:.1f} s + TAESD decode at 256 px taken as 4 x "
              f"{got['taesd_s']:.1f} s + the 128 px picture's overhead "
              f"{got['picture128_s'] - steps * got['pass128_s'] - got['taesd_s']:.1f} s)")
    print(f"  128 px picture: loop {got['loop128_s']:.1f} s, decode {got['decode128_s']:.1f} s")
    print(f"peak memory: SQL {got['peak_mib']:.0f} MiB, PyTorch {ref['peak_mib']:.0f} MiB")
    print(f"preflight estimate, guided pass (batch 2): 128 px {got['estimate128_gib']:.1f} GiB, 256 px "
          f"{got['estimate256_gib']:.1f} GiB, 512 px {got['estimate512_gib']:.1f} GiB; available "
          f"{got['available_gib']:.1f} GiB; 512 px {got['preflight512']}")
    for s in (128, 256):
        rows, unplaced, names = profile_table(got[f"pass{s}_profile"], ref[f"macs{s}"])
        print(f"\nper-statement profile, guided pass at {s} px ({unplaced:.1%} of MACs not placed"
              + (f": {', '.join(names[:6])}" if names else "") + ")")
        print(f"  {'category':22} {'count':>5} {'wall s':>7} {'cpu s':>7} {'time %':>7} {'MAC %':>6}")
        for category, count, wall, cpu, share, mac_share in rows:
            print(f"  {category:22} {count:5d} {wall:7.2f} {cpu:7.2f} {share:7.1%} {mac_share:6.1%}")
        print("  slowest statements:")
        for label, category, op, wall, cpu in top_statements(got[f"pass{s}_profile"]):
            print(f"    {wall:6.2f} s  {label} ({category}, {op})")
    rows, *_ = profile_table(got["text_profile"], {})
    print("\nper-statement profile, text encoder")
    for category, count, wall, cpu, share, _ in rows:
        print(f"  {category:22} {count:5d} {wall:7.2f} {cpu:7.2f} {share:7.1%}")
    print(json.dumps({k: v for k, v in {**{f"sql_{k}": v for k, v in got.items()},
                                        **{f"torch_{k}": v for k, v in ref.items()}}.items()
                      if isinstance(v, (int, float, str))}))


if __name__ == "__main__":
    main()
