"""Class labels by name: ImageNet's 1000 classes (the ILSVRC-2012 order, as the class-conditional
ImageNet models number them), each a WordNet synset's names, e.g. 145 "king penguin, Aptenodytes
patagonica". A name matches any of a class's names, in any case, with _ for a space."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from .errors import SQLDiffusionError

IMAGENET_CLASSES = 1000


@cache
def imagenet_classes() -> tuple[str, ...]:
    return tuple(files("sqldiffusion.data").joinpath("imagenet_classes.txt").read_text().splitlines())


def _key(name: str) -> str:
    return " ".join(name.replace("_", " ").lower().split())


@cache
def _by_name() -> dict[str, int]:
    found: dict[str, int] = {}
    for number, names in enumerate(imagenet_classes()):
        for name in names.split(","):
            found.setdefault(_key(name), number)
    return found


def class_number(label: str, classes: int | None) -> int:
    """A class label given as a number or, for a model of ImageNet's 1000 classes, as a name."""
    text = label.strip()
    if text.isdigit():
        return int(text)
    if classes != IMAGENET_CLASSES:
        raise SQLDiffusionError(f"class label {text[:40]!r}: names are ImageNet's 1000 classes; this model "
                                f"{'has ' + str(classes) + ' classes' if classes else 'has no class table'}: "
                                "give a number")
    number = _by_name().get(_key(text))
    if number is None:
        near = [n for n in _by_name() if _key(text) in n][:3]
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise SQLDiffusionError(f"class label {text[:40]!r} is not an ImageNet class name{hint}; give a name "
                                "such as king_penguin, or a number from 0 to 999")
    return number
