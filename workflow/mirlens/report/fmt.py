"""How numbers, names and lists read in the report."""

from __future__ import annotations

import math
import re
from typing import Any

P_FLOOR = 1e-300
ARM = re.compile(r"-[35]p$")


def missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def fmt_p(value: Any) -> str:
    """2 significant digits; exponents without padding; floors as '< 1e-300'."""
    if missing(value):
        return "–"
    value = float(value)
    if value <= P_FLOOR:
        return "< 1e-300"
    if value >= 1e-3:
        return f"{value:.2g}"
    mant, exp = f"{value:.1e}".split("e")
    return f"{mant}e{int(exp)}"


def fmt_num(value: Any, digits: int = 3) -> str:
    if missing(value):
        return "–"
    value = float(value)
    if math.isinf(value):
        return "∞"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.{digits}g}"


def slug(*parts: Any) -> str:
    """An HTML id from arbitrary text (stable, readable)."""
    text = "-".join(str(p) for p in parts)
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


def precursor(name: str) -> str:
    """The name both arms of one precursor share: hsa-miR-21-5p and -3p -> hsa-miR-21."""
    return ARM.sub("", name)


def neglog10(value: float) -> float:
    return -math.log10(max(value, P_FLOOR))
