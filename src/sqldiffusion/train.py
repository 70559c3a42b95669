"""Training a small DDPM `UNet2DModel` with PyTorch and diffusers (the optional `train` extra).

Training is not on the generation path: it only makes models for the SQL engines to run. The
shipped demo model was trained with this module on procedural butterflies.

    sqldiffusion train --data procedural --out runs/demo --steps 6000

writes `runs/demo/checkpoint.pt` every few hundred steps (resumable with `--resume`) and, at the
end, a pipeline folder in the diffusers layout: `unet/` (config.json, fp16 safetensors, EMA
weights) and `scheduler/scheduler_config.json`.
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
    unet: dict = field(default_factory=lambda: dict(DEMO_UNET))


def _import_torch():
    try:
        import diffusers
        import torch
    except ImportError:
        raise SQLDiffusionError("training needs PyTorch and diffusers: pip install 'sqldiffusion[train]'") from None
    return torch, diffusers


def image_source(data: str, size: int, seed: int) -> Callable[[int, int], np.ndarray]:
    """A function (step, batch) -> float32 (batch, 3, size, size) in [-1, 1]."""
    if data == "procedural":
        return lambda step, batch: to_model_range(draw_butterflies(batch, size, seed=seed * 1_000_003 + step))
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
        f"steps {start}..{settings.steps}, batch {settings.batch_size}")
    began, running = time.time(), None
    for step in range(start, settings.steps):
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
        loss = torch.nn.functional.mse_loss(unet(xt, t).sample, noise)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        optimiser.step()
        with torch.no_grad():
            for e, p in zip(ema.parameters(), unet.parameters()):
                e.lerp_(p, 1 - settings.ema_decay)
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        done = step + 1
        if done % 50 == 0 or done == settings.steps:
            rate = (done - start) / (time.time() - began)
            log(f"step {done}/{settings.steps} loss {running:.4f} lr {lr:.2e} "
                f"{rate:.2f} steps/s, {(settings.steps - done) / rate / 60:.1f} min left")
        if done % settings.checkpoint_every == 0 or done == settings.steps:
            _save_checkpoint(torch, checkpoint, unet, ema, optimiser, done)
    save_pipeline(ema, out)
    log(f"wrote {out / 'unet'} and {out / 'scheduler'}")
    return out


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
