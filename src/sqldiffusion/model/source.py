"""Finding a model: a local diffusers folder (UNet or pipeline) or a Hugging Face Hub id.

A pipeline folder is read as diffusers' `DiffusionPipeline.from_pretrained` reads it: its
model_index.json names each component and its class; a network's class is looked up in the
registry (graph/networks.py), which says how its config.json is read, and a scheduler's config is
read by model/schedule.py. A folder naming a class of neither kind is refused in one line."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import SQLDiffusionError, first_line
from ..fields import shown
from ..graph.networks import BACKBONE, NETWORKS, Network, network_of
from ..graph.unet_config import UNetConfig
from .files import JSON_LIMIT, read_bounded
from .schedule import checked_schedule_config
from .weights import check_tensors, check_weight_file, hash_weights, normalise_names, read_safetensors

WEIGHT_FILES = ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors")
# a transformers component's (the text encoder's), as save_pretrained names it, or as diffusers does
TRANSFORMERS_WEIGHT_FILES = ("model.safetensors", "model.fp16.safetensors", *WEIGHT_FILES)
# A Hub id as huggingface_hub's validate_repo_id admits it: owner/name, each 1 to 96 of letters,
# digits, "_", "-" and ".", starting and ending with a letter, digit or "_", never "--" or ".."
# (so "a/.." is no id), the name not ending in ".git".
_HUB_PART = r"[A-Za-z0-9_](?:[\w.-]{0,94}[A-Za-z0-9_])?"
_HUB_ID = re.compile(rf"^(?!.*(?:--|\.\.))(?!.*\.git$){_HUB_PART}/{_HUB_PART}$", re.ASCII)


@dataclass(frozen=True)
class Model:
    """A network on disk: its config, its weight file, the scheduler config beside it if any, and
    for a latent model's backbone the autoencoder its pipeline folder names (`vae/`, `vqvae/`) and
    the text encoder (`text_encoder/`)."""

    name: str
    config: UNetConfig
    weights_path: Path
    scheduler_config: dict | None = None
    autoencoder: "Model | None" = None  # the pictures are its decoding of the samples
    text_encoder: "Model | None" = None  # the prompt's hidden states the backbone reads are its output
    tokenizer: Path | None = None  # a text pipeline's tokenizer/ folder (read by tokenizer.PromptTokenizer)
    not_run: tuple[str, ...] = ()  # components its pipeline folder names that are never run (a safety checker)

    @cached_property
    def digest(self) -> str:
        """Identifies the exact weights and config: importing the same model twice is a no-op."""
        h = hashlib.sha256(json.dumps(self.config.raw, sort_keys=True).encode())
        hash_weights(self.weights_path, h)  # the file checked again as it is read: it may have changed
        return h.hexdigest()

    def tensors(self, expected: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
        """All weights as float32, checked name by name and shape by shape against `expected`."""
        rename = self.network.rename or normalise_names
        tensors = rename(read_safetensors(self.weights_path, expected, rename))
        check_tensors(tensors, expected, str(self.weights_path))
        return tensors

    @property
    def network(self) -> Network:
        """Its backbone's entry in the registry of networks: how its graph is built."""
        return network_of(self.config)

    def pixel_model(self, what: str) -> "Model":
        """Itself, if its samples are its pictures; one line for a latent model, which `what` (a
        command or pipeline) does not run yet."""
        self.untexted(what)
        if self.autoencoder is not None:
            raise SQLDiffusionError(f"{what} runs pixel models for now; "
                                    f"{self.name} is a latent model (its pictures are "
                                    f"its autoencoder's decoding of its samples): use generate, or the Python "
                                    "SQLDiffusionPipeline")
        return self

    def untexted(self, what: str) -> "Model":
        """Itself, if its backbone reads no text; one line for a text-to-image UNet, which `what` (a
        command or pipeline) does not run yet."""
        if "encoder_hidden_states" in self.network.reads:
            raise SQLDiffusionError(f"{what} runs models without text for now; {self.name} is a text-to-image "
                                    f"model (its {self.network.class_name} reads a prompt's encoding)")
        return self


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
    raise SQLDiffusionError(f"model {str(model)!r} not found: "
                            "give a diffusers model folder or a Hub id such as gnokit/ddpm-butterflies-64")


SCHEDULER = "scheduler"  # the component read from scheduler/scheduler_config.json, checked there
TOKENIZER = "tokenizer"  # a text pipeline's tokenizer/, read by transformers' CLIPTokenizer (tokenizer.py)
TOKENIZERS = ("CLIPTokenizer", "CLIPTokenizerFast")
# components of a Stable Diffusion folder that are read by nothing and never run: the picture is not
# filtered (diffusers' safety_checker=None), as the README says
NOT_RUN = {"safety_checker": ("StableDiffusionSafetyChecker",),
           "feature_extractor": ("CLIPImageProcessor", "CLIPFeatureExtractor")}
# a diffusers scheduler class: every one of them is named so (those we do not offer run as DDPM)
_SCHEDULER_CLASS = re.compile(r"[A-Za-z0-9_]+Scheduler", re.ASCII)


def _from_folder(path: Path, name: str) -> Model:
    if not path.is_dir():
        raise SQLDiffusionError(f"{path} is not a folder; give the diffusers model folder that holds config.json")
    if (path / "model_index.json").exists():
        _check_components(path / "model_index.json")
    unet = path / "unet" if (path / "unet" / "config.json").exists() else path
    if not (unet / "config.json").exists():
        raise SQLDiffusionError(f"{path}: no config.json (nor unet/config.json); is this a diffusers model folder?")
    config = read_config(unet / "config.json")
    text_encoder = _text_encoder_of(path)
    return Model(name, config, _weights_in(unet, BACKBONE), _scheduler_config(path, unet), _autoencoder_of(path),
                 text_encoder, _tokenizer_of(path) if text_encoder is not None else None, _not_run(path))


def _autoencoder_of(path: Path) -> "Model | None":
    """The autoencoder a pipeline folder's model_index.json names (vae or vqvae), read from its folder."""
    index = path / "model_index.json"
    if not index.exists():
        return None
    listed = _components(index)
    named = [c for c in AUTOENCODERS if c in listed and listed[c] not in (None, [None, None])]
    if len(named) > 1:
        raise SQLDiffusionError(f"{path}: a pipeline folder naming two autoencoders ({', '.join(named)}); keep one")
    return load_autoencoder(path / named[0]) if named else None


def _weights_in(component: Path, class_name: str, files: tuple[str, ...] = WEIGHT_FILES) -> Path:
    """The checked safetensors weight file of a component folder: the first of `files` there."""
    weights = next((component / f for f in files if (component / f).exists()), None)
    if weights is None:
        library = "transformers" if files == TRANSFORMERS_WEIGHT_FILES else "diffusers"
        if any((component / f).exists() for f in ("diffusion_pytorch_model.bin", "pytorch_model.bin")):
            raise SQLDiffusionError(
                f"{component}: only a PyTorch .bin weight file; sqldiffusion reads safetensors "
                f"(re-save it with {library}: {class_name}.from_pretrained(dir).save_pretrained(dir))"
            )
        if (component / "model.safetensors.index.json").exists():
            raise SQLDiffusionError(f"{component}: weights in several files (model.safetensors.index.json); "
                                    f"sqldiffusion reads one: re-save it with {library}'s save_pretrained"
                                    "(dir, max_shard_size=\"100GB\")")
        raise SQLDiffusionError(f"{component}: no {' or '.join(files)}")
    check_weight_file(weights)  # its header only: a file padded to gigabytes is refused before it is hashed
    return weights


AUTOENCODERS = ("vae", "vqvae")  # the components of a pipeline folder an autoencoder is read from


def load_autoencoder(source: str | Path) -> Model:
    """An autoencoder (AutoencoderKL, VQModel, AutoencoderTiny): a folder that is the component
    itself (its config.json names the class), a pipeline folder holding vae/ or vqvae/, or a Hub id."""
    path = Path(source).expanduser()
    if not path.exists():
        if not (isinstance(source, str) and _HUB_ID.match(source)):
            raise SQLDiffusionError(f"autoencoder {str(source)!r} not found: give a diffusers autoencoder folder, "
                                    "a pipeline folder holding vae/, or a Hub id such as madebyollin/taesd")
        path = _download(source)
    if not path.is_dir():
        raise SQLDiffusionError(f"{path} is not a folder; give the diffusers autoencoder folder that holds config.json")
    folder = next((path / c for c in AUTOENCODERS if (path / c / "config.json").exists()), path)
    if not (folder / "config.json").exists():
        raise SQLDiffusionError(f"{path}: no config.json (nor vae/config.json or vqvae/config.json); "
                                "is this a diffusers autoencoder folder?")
    config = read_config(folder / "config.json", role="autoencoder")
    return Model(str(source), config, _weights_in(folder, type(config).class_name))


TEXT_ENCODER = "text_encoder"  # the component of a pipeline folder the text encoder is read from


def load_text_encoder(source: str | Path) -> Model:
    """A text encoder (CLIPTextModel): a folder that is the component itself (its config.json, as
    transformers writes it), a pipeline folder holding text_encoder/, or a Hub id."""
    path = Path(source).expanduser()
    if not path.exists():
        if not (isinstance(source, str) and _HUB_ID.match(source)):
            raise SQLDiffusionError(f"text encoder {str(source)!r} not found: give a transformers text encoder "
                                    "folder, a pipeline folder holding text_encoder/, or a Hub id")
        path = _download(source)
    if not path.is_dir():
        raise SQLDiffusionError(f"{path} is not a folder; give the text encoder folder that holds config.json")
    folder = path / TEXT_ENCODER if (path / TEXT_ENCODER / "config.json").exists() else path
    if not (folder / "config.json").exists():
        raise SQLDiffusionError(f"{path}: no config.json (nor text_encoder/config.json); is this a text encoder "
                                "folder?")
    config = read_config(folder / "config.json", role="text_encoder")
    return Model(str(source), config, _weights_in(folder, type(config).class_name, TRANSFORMERS_WEIGHT_FILES))


def _text_encoder_of(path: Path) -> "Model | None":
    """The text encoder a pipeline folder's model_index.json names, read from its folder."""
    index = path / "model_index.json"
    if not index.exists():
        return None
    spec = _components(index).get(TEXT_ENCODER)
    return None if spec in (None, [None, None]) else load_text_encoder(path / TEXT_ENCODER)


def _tokenizer_of(path: Path) -> Path:
    """A text pipeline's tokenizer folder: its prompts are tokenized as its text encoder was trained."""
    if _class_of(_components(path / "model_index.json").get(TOKENIZER)) not in TOKENIZERS:
        raise SQLDiffusionError(f"{path}: a text encoder without a CLIP tokenizer in model_index.json; "
                                f"save the pipeline with its tokenizer ({' or '.join(TOKENIZERS)})")
    return path / TOKENIZER


def _not_run(path: Path) -> tuple[str, ...]:
    """The components of a pipeline folder that are listed but never run (NOT_RUN)."""
    index = path / "model_index.json"
    if not index.exists():
        return ()
    return tuple(c for c, spec in _components(index).items() if c in NOT_RUN and _class_of(spec) is not None)


def _check_components(index: Path) -> None:
    """A pipeline folder runs here only if every network its model_index.json names is one
    sqldiffusion builds: an LDM folder's autoencoder, say, would otherwise be left out silently
    and its latents shown as the picture."""
    listed = _components(index)
    unsupported = []
    conditional = _reads_text(_class_of(listed.get("unet")))
    for component, spec in listed.items():
        if component.startswith("_") or spec is None or spec == [None, None] or isinstance(spec, (bool, int, float)):
            continue  # not a component: unset, or a setting of the pipeline (requires_safety_checker)
        cls = _class_of(spec)
        # a text encoder (and its tokenizer) runs only for a backbone that reads its output (else the
        # prompt is ignored)
        text = (cls in NETWORKS and NETWORKS[cls].role == "text_encoder") or component == TOKENIZER
        if not _built_here(component, cls) or (text and not conditional):
            unsupported.append(f"{component[:40]} ({str(cls)[:40]})")
    if unsupported:
        kind = listed.get("_class_name")
        shown = f"a {kind[:40]} folder" if isinstance(kind, str) else "a pipeline folder"
        raise SQLDiffusionError(f"{index.parent}: {shown} with components sqldiffusion does not run yet: "
                                f"{', '.join(unsupported[:6])}; it runs pipelines of "
                                f"{' or '.join('a ' + name for name in _class_names('backbone'))}, an autoencoder "
                                f"({', '.join(_class_names('autoencoder'))}) and a scheduler")


def _class_of(spec) -> str | None:
    """The class a model_index.json entry ([library, class]) names, if it is one."""
    return spec[1] if isinstance(spec, list) and len(spec) == 2 and isinstance(spec[1], str) else None


def _reads_text(cls: str | None) -> bool:
    """Whether the registry's network of class `cls` reads a text encoder's output."""
    return cls in NETWORKS and "encoder_hidden_states" in NETWORKS[cls].reads


def _components(index: Path) -> dict:
    """A pipeline's model_index.json: component -> [library, class]."""
    try:
        listed = json.loads(read_bounded(index, JSON_LIMIT, "a pipeline's model_index.json"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise SQLDiffusionError(f"{index}: not valid JSON ({first_line(e)})") from None
    if not isinstance(listed, dict):
        raise SQLDiffusionError(f"{index}: not a JSON object naming the pipeline's components")
    return listed


def _built_here(component: str, cls: str | None) -> bool:
    """Whether a pipeline component of class `cls` is one sqldiffusion reads: a scheduler, or a
    network of the registry in a component it fills."""
    if cls is None:
        return False
    if component == SCHEDULER:
        return _SCHEDULER_CLASS.fullmatch(cls) is not None
    if component == TOKENIZER:
        return cls in TOKENIZERS
    if component in NOT_RUN:
        return cls in NOT_RUN[component]
    return cls in NETWORKS and component in NETWORKS[cls].components


def _class_names(role: str) -> list[str]:
    """The classes of the registry's networks of a role ("backbone", "autoencoder")."""
    return [name for name, network in NETWORKS.items() if network.role == role]


TEXT_ENCODER_CLASS = "CLIPTextModel"  # the one text encoder class of the registry


def read_config(path: Path, role: str = "backbone"):
    """A network's config.json, read by the config class of the network its `_class_name` names,
    among the networks of `role` ("backbone" or "autoencoder"; a "text_encoder"'s is transformers'
    CLIPTextModel's, whose `architectures` names the class). A backbone's config without one is
    a UNet2DModel's (as diffusers' UNet2DModel folders have it); a class that is not in the registry
    is refused by the backbone's own check, in one line naming the class."""
    try:
        settings = json.loads(read_bounded(path, JSON_LIMIT, "a model's config.json"))
    except FileNotFoundError:
        raise SQLDiffusionError(f"{path}: no such file; a diffusers model folder holds config.json") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SQLDiffusionError(f"{path}: not valid JSON ({e}); re-save the model with save_pretrained") from None
    except RecursionError:
        raise SQLDiffusionError(f"{path}: nested too deeply to be a model's config; re-save the model "
                                "with save_pretrained") from None
    if not isinstance(settings, dict):
        raise SQLDiffusionError(f"{path}: expected a JSON object of {BACKBONE} settings")
    name = settings.get("_class_name")
    if role == "text_encoder":  # transformers names the class in `architectures`, checked by the config
        return NETWORKS[TEXT_ENCODER_CLASS].config.from_dict(settings, str(path))
    network = NETWORKS.get(name) if isinstance(name, str) else None
    if role == "autoencoder" and (network is None or network.role != role):
        raise SQLDiffusionError(f"{path}: model class {shown(name)} is not an autoencoder sqldiffusion runs "
                                f"(it runs {', '.join(n for n, net in NETWORKS.items() if net.role == role)})")
    if network is None or network.role != role:
        network = NETWORKS[BACKBONE]
    return network.config.from_dict(settings, str(path))


def _scheduler_config(path: Path, unet: Path) -> dict | None:
    for candidate in (path / "scheduler" / "scheduler_config.json", unet / "scheduler_config.json",
                      unet.parent / "scheduler" / "scheduler_config.json"):
        if candidate.exists():
            try:
                config = json.loads(read_bounded(candidate, JSON_LIMIT, "a model's scheduler_config.json"))
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
        from huggingface_hub.errors import (
            HfHubHTTPError,
            HFValidationError,
            LocalEntryNotFoundError,
            RepositoryNotFoundError,
        )
    except ImportError:  # pragma: no cover - huggingface_hub is a dependency
        raise SQLDiffusionError("huggingface_hub is not installed; pip install huggingface_hub") from None
    components = [c for network in NETWORKS.values() for c in network.components]
    patterns = ["model_index.json", "config.json", "*.safetensors", "scheduler_config.json",
                *(f"{c}/{file}" for c in components for file in ("config.json", "*.safetensors")),
                f"{SCHEDULER}/scheduler_config.json",
                *(f"tokenizer/{file}" for file in ("*.json", "merges.txt"))]  # a text pipeline's (tokenizer.py)
    try:
        return Path(snapshot_download(repo_id, allow_patterns=patterns))
    except HFValidationError as e:  # the pattern above should have caught it; the Hub's rules may grow
        raise SQLDiffusionError(f"{repo_id!r} is not a Hub id the Hugging Face Hub accepts ({first_line(e)})") from None
    except RepositoryNotFoundError:
        raise SQLDiffusionError(f"{repo_id}: no such model on the Hugging Face Hub (or it is private)") from None
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as e:
        raise SQLDiffusionError(
            f"cannot fetch {repo_id} from the Hugging Face Hub and it is not in the local cache ({first_line(e)}); "
            "connect to the internet once, or pass a local model folder"
        ) from None
