"""Training a small DDPM `UNet2DModel` with PyTorch and diffusers (the optional `train` extra).

Training is not on the generation path: it only makes models for the SQL engines to run. The
shipped demo model was trained with this module on procedural butterflies.

    sqldiffusion train --data procedural --out runs/demo --steps 6000

writes `runs/demo/checkpoint.pt` every few hundred steps (resumable with `--resume`), the loss
curve to `runs/demo/loss.csv` and, at the end, a pipeline folder in the diffusers layout: `unet/`
(config.json, fp16 safetensors, EMA weights) and `scheduler/scheduler_config.json`.

On a GPU the drawing of pictures, not the network, limits the speed: draw a pool of pictures once
with all cores (`python -m sqldiffusion.datasets --count 400000 --out pool.npy`) and train on it
(`--data pool.npy`); batches are then drawn from the pool on the device.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .datasets import draw_butterflies, to_model_range
from .errors import SQLDiffusionError

# The demo model: 32x32, three resolutions, attention only at 8x8; 2.6M parameters.
DEMO_UNET = dict(
    sample_size=32, in_channels=3, out_channels=3, layers_per_block=1, block_out_channels=[32, 64, 128],
    down_block_types=["DownBlock2D", "DownBlock2D", "AttnDownBlock2D"],
    up_block_types=["AttnUpBlock2D", "UpBlock2D", "UpBlock2D"],
    norm_num_groups=8, attention_head_dim=32,
)
SCHEDULER = dict(num_train_timesteps=1000, beta_schedule="linear", beta_start=0.0001, beta_end=0.02,
                 clip_sample=True, prediction_type="epsilon", variance_type="fixed_small")


@dataclass
class TrainSettings:
    steps: int = 6000
    batch_size: int = 32
    learning_rate: float = 5e-4
    warmup: int = 200
    ema_decay: float = 0.995
    # Offset noise: a random constant per image and channel added to the noise, so that the model
    # learns to move a whole picture's brightness. Without it, samples of these light-background
    # butterflies came out a fifth too dark (the linear schedule never fully destroys the mean).
    offset_noise: float = 0.1
    checkpoint_every: int = 250
    seed: int = 0
    # Train for about this many minutes: after 200 and again after 1000 steps the step count is set
    # from the measured speed, so that the learning-rate schedule still ends at zero (None: `steps`).
    minutes: float | None = None
    unet: dict = field(default_factory=lambda: dict(DEMO_UNET))


def _import_torch():
    try:
        import diffusers
        import torch
    except ImportError:
        raise SQLDiffusionError("training needs PyTorch and diffusers: pip install 'sqldiffusion[train]'") from None
    return torch, diffusers


def read_unet_config(path: Path) -> dict:
    """UNet2DModel arguments from a JSON file (a diffusers config.json does; its "_" keys are dropped)."""
    try:
        config = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise SQLDiffusionError(f"--unet-config {path}: not readable JSON ({e})") from None
    if not isinstance(config, dict):
        raise SQLDiffusionError(f"--unet-config {path}: expected a JSON object of UNet2DModel arguments")
    return {k: v for k, v in config.items() if not k.startswith("_")}


def image_source(data: str, size: int, seed: int) -> Callable[[int, int], np.ndarray]:
    """A function (step, batch) -> float32 (batch, 3, size, size) in [-1, 1]."""
    if data == "procedural":
        return lambda step, batch: to_model_range(draw_butterflies(batch, size, seed=seed * 1_000_003 + step))
    if data.endswith(".npy"):
        return _pool_source(Path(data), size, seed)
    folder = Path(data)
    if not folder.is_dir():
        raise SQLDiffusionError(f"--data {data}: not 'procedural' and not a folder of images")
    images = _load_folder(folder, size)
    rng = np.random.default_rng(seed)

    def batch_of(step: int, batch: int) -> np.ndarray:
        picked = images[rng.integers(0, len(images), batch)]
        flip = rng.random(batch) < 0.5
        picked[flip] = picked[flip][..., ::-1]
        return picked

    return batch_of


def _pool_source(path: Path, size: int, seed: int) -> Callable[[int, int], np.ndarray]:
    """Batches drawn at random from a uint8 (N, size, size, 3) array saved with numpy.save."""
    try:
        pool = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as e:
        raise SQLDiffusionError(f"--data {path}: not a readable .npy array ({e})") from None
    if pool.dtype != np.uint8 or pool.ndim != 4 or pool.shape[1:] != (size, size, 3):
        raise SQLDiffusionError(f"--data {path}: expected uint8 pictures of shape (N, {size}, {size}, 3), "
                                f"got {pool.dtype} {pool.shape}")
    pool = np.ascontiguousarray(pool)
    rng = np.random.default_rng(seed)
    return lambda step, batch: to_model_range(pool[np.sort(rng.integers(0, len(pool), batch))])


def _load_folder(folder: Path, size: int) -> np.ndarray:
    from PIL import Image

    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".webp", ".bmp"})
    if not files:
        raise SQLDiffusionError(f"--data {folder}: no .png/.jpg/.webp/.bmp images in it")
    arrays = []
    for path in files:
        with Image.open(path) as im:
            im = im.convert("RGB")
            side = min(im.size)  # centre crop to a square, then resize
            left, top = (im.width - side) // 2, (im.height - side) // 2
            im = im.crop((left, top, left + side, top + side)).resize((size, size), Image.BICUBIC)
            arrays.append(np.asarray(im))
    return to_model_range(np.stack(arrays))


def train(data: str, out: Path, settings: TrainSettings, resume: bool = False,
          log: Callable[[str], None] = print) -> Path:
    """Train, checkpointing to `out/checkpoint.pt`; return the written pipeline folder (`out`)."""
    torch, diffusers = _import_torch()
    out.mkdir(parents=True, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest convolutions
    torch.manual_seed(settings.seed)
    unet = diffusers.UNet2DModel(**settings.unet).to(device)
    ema = diffusers.UNet2DModel(**settings.unet).to(device)
    ema.load_state_dict(unet.state_dict())
    ema.requires_grad_(False)
    scheduler = diffusers.DDPMScheduler(**SCHEDULER)
    alphas_cumprod = scheduler.alphas_cumprod.to(device)
    optimiser = torch.optim.AdamW(unet.parameters(), lr=settings.learning_rate, weight_decay=1e-4)
    start = 0
    checkpoint = out / "checkpoint.pt"
    if resume:
        if not checkpoint.exists():
            raise SQLDiffusionError(f"--resume: {checkpoint} does not exist; start without --resume")
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        unet.load_state_dict(state["unet"])
        ema.load_state_dict(state["ema"])
        optimiser.load_state_dict(state["optimiser"])
        start = state["step"]
        log(f"resumed at step {start}")
    images = image_source(data, settings.unet["sample_size"], settings.seed)
    generator = torch.Generator(device).manual_seed(settings.seed + start)
    log(f"training {sum(p.numel() for p in unet.parameters()) / 1e6:.2f}M parameters on {device}, "
        + (f"for about {settings.minutes:g} minutes" if settings.minutes else f"steps {start}..{settings.steps}")
        + f", batch {settings.batch_size}")
    if settings.minutes is not None:
        settings.steps = start + 10 ** 9  # until the speed is measured: a flat learning rate
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda")
    curve = (out / "loss.csv").open("a" if resume else "w")
    if not resume:
        curve.write("step,loss,lr\n")
    ema_weights, unet_weights = list(ema.parameters()), list(unet.parameters())
    losses, logged = torch.zeros((), device=device), start
    began = saved = time.time()
    marks = [(start, began)]
    step = start
    while step < settings.steps:  # not range(): --minutes changes the step count on the way
        if settings.minutes is not None and step - start in (200, 1000):  # twice: the first includes warm-up
            settings.steps = _steps_that_fit(step, marks, began, settings.minutes)
            log(f"{(step - marks[-2][0]) / (marks[-1][1] - marks[-2][1]):.1f} steps/s: "
                f"{settings.steps - start} steps in about {settings.minutes:g} minutes")
        lr = settings.learning_rate * min(1.0, (step + 1) / settings.warmup) * \
            (0.5 + 0.5 * math.cos(math.pi * step / settings.steps))  # warm up, then cosine to zero
        for group in optimiser.param_groups:
            group["lr"] = lr
        x0 = torch.from_numpy(images(step, settings.batch_size)).to(device)
        noise = torch.randn(x0.shape, generator=generator, device=device)
        if settings.offset_noise:
            noise = noise + settings.offset_noise * torch.randn(*x0.shape[:2], 1, 1, generator=generator, device=device)
        t = torch.randint(0, SCHEDULER["num_train_timesteps"], (x0.shape[0],), generator=generator, device=device)
        a = alphas_cumprod[t].view(-1, 1, 1, 1)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
        with autocast:  # bf16 on a GPU; the weights and the optimiser stay float32
            loss = torch.nn.functional.mse_loss(unet(xt, t).sample.float(), noise)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        optimiser.step()
        with torch.no_grad():
            # the average warms up (decay (1 + step) / (10 + step) at first): the random start fades at once
            decay = min(settings.ema_decay, (1 + step) / (10 + step))
            torch._foreach_lerp_(ema_weights, unet_weights, 1 - decay)
            losses += loss.detach()  # read back every 50 steps only: a read waits for the device
        step = done = step + 1
        if done % 50 == 0 or done == settings.steps:
            mean = losses.item() / (done - logged)
            losses.zero_()
            logged, rate = done, (done - start) / (time.time() - began)
            log(f"step {done}/{settings.steps} loss {mean:.4f} lr {lr:.2e} "
                f"{rate:.2f} steps/s, {(settings.steps - done) / rate / 60:.1f} min left")
            curve.write(f"{done},{mean:.5f},{lr:.3e}\n")
            curve.flush()
        # Every `checkpoint_every` steps, but not more than once a minute (fast on a GPU).
        if (done % settings.checkpoint_every == 0 and time.time() - saved > 60) or done == settings.steps:
            _save_checkpoint(torch, checkpoint, unet, ema, optimiser, done)
            saved = time.time()
    curve.close()
    save_pipeline(ema, out)
    log(f"wrote {out / 'unet'} and {out / 'scheduler'}")
    return out


def _steps_that_fit(step: int, marks: list[tuple[int, float]], began: float, minutes: float) -> int:
    """The step to end at so that training lasts about `minutes`, at the speed since the last mark."""
    (last_step, last_time), now = marks[-1], time.time()
    marks.append((step, now))
    rate = (step - last_step) / (now - last_time)
    return step + max(1, int(rate * (minutes * 60 - (now - began))))


def _save_checkpoint(torch, path: Path, unet, ema, optimiser, step: int) -> None:
    partial = path.with_suffix(".tmp")
    torch.save(dict(unet=unet.state_dict(), ema=ema.state_dict(), optimiser=optimiser.state_dict(),
                    step=step), partial)
    partial.replace(path)  # a crash mid-save never corrupts the last good checkpoint


def save_pipeline(unet, out: Path) -> None:
    """The diffusers layout: unet/ (config.json, fp16 safetensors) and scheduler/scheduler_config.json."""
    from safetensors.torch import save_file

    unet.save_config(out / "unet")
    weights = {name: t.detach().to("cpu").half().contiguous() for name, t in unet.state_dict().items()}
    save_file(weights, out / "unet" / "diffusion_pytorch_model.safetensors", metadata={"format": "pt"})
    (out / "unet" / "diffusion_pytorch_model.safetensors").chmod(0o644)  # readable by whoever installs it
    (out / "scheduler").mkdir(exist_ok=True)
    config = dict(_class_name="DDPMScheduler", **SCHEDULER)
    (out / "scheduler" / "scheduler_config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out / "model_index.json").write_text(json.dumps(
        {"_class_name": "DDPMPipeline", "scheduler": ["diffusers", "DDPMScheduler"],
         "unet": ["diffusers", "UNet2DModel"]}, indent=2) + "\n")
