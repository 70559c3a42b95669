"""Finding a model: a local diffusers folder (UNet or pipeline) or a Hugging Face Hub id."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import SQLDiffusionError, first_line
from .config import UNetConfig
from .schedule import checked_schedule_config
from .weights import check_tensors, normalise_names, read_safetensors

WEIGHT_FILES = ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class Model:
    """A UNet2DModel on disk: its config, its weight file, and the scheduler config beside it if any."""

    name: str
    config: UNetConfig
    weights_path: Path
    scheduler_config: dict | None = None

    @cached_property
    def digest(self) -> str:
        """Identifies the exact weights and config: importing the same model twice is a no-op."""
        h = hashlib.sha256(json.dumps(self.config.raw, sort_keys=True).encode())
        with open(self.weights_path, "rb") as f:
            for block in iter(lambda: f.read(1 << 24), b""):
                h.update(block)
        return h.hexdigest()

    def tensors(self, expected: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
        """All weights as float32, checked name by name and shape by shape against `expected`."""
        tensors = normalise_names(read_safetensors(self.weights_path))
        check_tensors(tensors, expected, str(self.weights_path))
        return tensors


DEMO = "demo"
DEMO_FOLDER = Path(__file__).resolve().parent.parent / "demo"  # a pipeline folder: unet/ and scheduler/


def load_model(model: str | Path) -> Model:
    """Resolve `model`: "demo" (shipped with the package), a UNet folder, a pipeline folder holding
    unet/, or a Hub id."""
    if model == DEMO:
        if not (DEMO_FOLDER / "unet" / "config.json").exists():
            raise SQLDiffusionError("the demo model is missing from this installation; reinstall sqldiffusion")
        return _from_folder(DEMO_FOLDER, DEMO)
    path = Path(model).expanduser()
    if path.exists():
        return _from_folder(path, str(model))
    if isinstance(model, str) and _HUB_ID.match(model):
        return _from_folder(_download(model), model)
    raise SQLDiffusionError(f"model {str(model)!r} not found: give a diffusers model folder or a Hub id such as gnokit/ddpm-butterflies-64")


def _from_folder(path: Path, name: str) -> Model:
    if not path.is_dir():
        raise SQLDiffusionError(f"{path} is not a folder; give the diffusers model folder that holds config.json")
    unet = path / "unet" if (path / "unet" / "config.json").exists() else path
    if not (unet / "config.json").exists():
        raise SQLDiffusionError(f"{path}: no config.json (nor unet/config.json); is this a diffusers model folder?")
    config = UNetConfig.from_file(unet / "config.json")
    weights = next((unet / f for f in WEIGHT_FILES if (unet / f).exists()), None)
    if weights is None:
        if (unet / "diffusion_pytorch_model.bin").exists():
            raise SQLDiffusionError(
                f"{unet}: only a PyTorch .bin weight file; sqldiffusion reads safetensors "
                "(re-save it with diffusers: UNet2DModel.from_pretrained(dir).save_pretrained(dir))"
            )
        raise SQLDiffusionError(f"{unet}: no {WEIGHT_FILES[0]} or {WEIGHT_FILES[1]}")
    return Model(name, config, weights, _scheduler_config(path, unet))


def _scheduler_config(path: Path, unet: Path) -> dict | None:
    for candidate in (path / "scheduler" / "scheduler_config.json", unet / "scheduler_config.json",
                      unet.parent / "scheduler" / "scheduler_config.json"):
        if candidate.exists():
            try:
                config = json.loads(candidate.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise SQLDiffusionError(f"{candidate}: not valid JSON ({e})") from None
            except RecursionError:
                raise SQLDiffusionError(f"{candidate}: nested too deeply to be a scheduler config") from None
            try:  # checked now, as the UNet's config is
                checked_schedule_config(config)
            except SQLDiffusionError as e:
                raise SQLDiffusionError(f"{candidate}: {str(e).removeprefix('scheduler config: ')}") from None
            return config
    return None


def _download(repo_id: str) -> Path:
    """Fetch (or find in the local cache) the config and safetensors weights of a Hub model."""
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError
    except ImportError:  # pragma: no cover - huggingface_hub is a dependency
        raise SQLDiffusionError("huggingface_hub is not installed; pip install huggingface_hub") from None
    patterns = ["model_index.json", "config.json", "*.safetensors", "scheduler_config.json",
                "unet/config.json", "unet/*.safetensors", "scheduler/scheduler_config.json"]
    try:
        return Path(snapshot_download(repo_id, allow_patterns=patterns))
    except RepositoryNotFoundError:
        raise SQLDiffusionError(f"{repo_id}: no such model on the Hugging Face Hub (or it is private)") from None
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as e:
        raise SQLDiffusionError(
            f"cannot fetch {repo_id} from the Hugging Face Hub and it is not in the local cache ({first_line(e)}); "
            "connect to the internet once, or pass a local model folder"
        ) from None
