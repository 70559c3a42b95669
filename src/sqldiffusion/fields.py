"""Checked config fields: every value a model's JSON files give is checked for its kind and a sane
range when it is read, so that nothing but a finite number of the right kind, a boolean or a string
of a known set reaches the graph or the SQL built from it.

A field is described by a `Field`, declared once beside the config dataclass's field it checks
(`declared`); `check(source, key, value, field)` returns the value (a tuple for lists) or raises one
line naming the file, the field and what it must be.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from .errors import SQLDiffusionError

SHOWN = 40  # characters of a bad value quoted in a message


def shown(value) -> str:
    """A value as a message quotes it: its repr, cut to a few characters."""
    text = repr(value)
    return text if len(text) <= SHOWN else text[:SHOWN - 3] + "..."


@dataclass(frozen=True)
class Field:
    """What a config field may hold.

    `type`: int, float (any finite number), bool or str. `low`/`high`: inclusive bounds of a
    number (`low_open`: low itself excluded). `choices`: the strings allowed. `nullable`: null is
    allowed. `items`: a list of `items[0]` to `items[1]` values of this kind instead of one value.
    """

    type: type
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] = ()
    nullable: bool = False
    items: tuple[int, int] | None = None


def declared(default, field: Field):
    """A config dataclass's field whose value, as a config file gives it, may hold what `field`
    says: the one place its kind and range are stated (`declared_checks` collects them)."""
    return dataclasses.field(default=default, metadata={"check": field})


def declared_checks(cls) -> dict[str, Field]:
    """Each declared field of config dataclass `cls` with its check, in the order they are declared."""
    return {f.name: f.metadata["check"] for f in dataclasses.fields(cls) if "check" in f.metadata}


def check(source: str, key: str, value, field: Field):
    def fail(what: str):
        raise SQLDiffusionError(f"{source}: {key} is {shown(value)}; it must be {what}")

    if value is None:
        if field.nullable:
            return None
        fail(_described(field) + " (not null)")
    if field.items is None:
        return _check_one(value, field, fail)
    shortest, longest = field.items
    count = f"{shortest}" if shortest == longest else f"{shortest} to {longest}"
    whole_list = f"a list of {count} items, each {_described(field)}"
    if not isinstance(value, (list, tuple)) or not shortest <= len(value) <= longest:
        fail(whole_list)
    return tuple(_check_one(v, field, lambda _: fail(whole_list)) for v in value)


def _check_one(value, field: Field, fail):
    expected = field.type
    if expected is bool:
        if not isinstance(value, bool):
            fail("true or false")
        return value
    if expected is str:
        if not isinstance(value, str) or (field.choices and value not in field.choices):
            fail(_described(field))
        return value
    # numbers: a bool is not one, nor a float where a whole number is asked for
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or (expected is int and not isinstance(value, int))):
        fail(_described(field))
    if isinstance(value, float) and not math.isfinite(value):
        fail(_described(field))
    if (field.low is not None and (value < field.low or (field.low_open and value == field.low))) or \
            (field.high is not None and value > field.high):
        fail(_described(field))
    return value


def _described(field: Field) -> str:
    if field.type is bool:
        return "true or false"
    if field.type is str:
        return "one of " + ", ".join(field.choices) if field.choices else "a string"
    noun = "a whole number" if field.type is int else "a finite number"
    if field.low is not None and field.high is not None:
        return (f"{noun} {'above' if field.low_open else 'from'} {field.low:g} "
                f"{'up ' if field.low_open else ''}to {field.high:g}")
    if field.low is not None:
        return f"{noun} {'above' if field.low_open else 'of at least'} {field.low:g}"
    return noun
