"""How values enter SQL text. A statement holds only what this module formats (finite numbers),
identifiers quoted by the dialect, and parameters bound by the driver: never the text of a value
that came from a model file, a request or an option."""

from __future__ import annotations

import math
import numbers


def number(value) -> str:
    """A finite int or float as an SQL numeric literal (a float as Python's shortest repr, so that
    it reads back as the same double). Anything else is a bug upstream, where a value was not
    checked: it raises rather than reaching SQL."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"not a number for SQL: {type(value).__name__}")
    if isinstance(value, numbers.Integral):
        return str(int(value))
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number for SQL: {value}")
    return repr(value)
