"""Version numbers and ranges (``>=1.2,<2``) without a dependency on ``packaging``."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

__all__ = ["parse_version", "satisfies"]

_CLAUSE = re.compile(r"^\s*(~=|==|!=|<=|>=|<|>)?\s*([0-9][0-9.]*)(\.\*)?\s*$")
_OPS: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}


def parse_version(text: str) -> tuple[int, ...]:
    """``"1.2.3rc1"`` → ``(1, 2, 3)``: the release numbers, for comparisons."""
    match = re.match(r"\s*v?(\d+(?:\.\d+)*)", text)
    if not match:
        raise ValueError(f"not a version: {text!r}")
    return tuple(int(p) for p in match.group(1).split("."))


def _pad(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    n = max(len(a), len(b))
    return a + (0,) * (n - len(a)), b + (0,) * (n - len(b))


def satisfies(version: str, spec: str) -> bool:
    """Whether ``version`` lies in ``spec`` (comma-separated clauses, all must hold).

    :raises ValueError: when ``spec`` cannot be read.
    """
    have = parse_version(version)
    for clause in filter(None, (c.strip() for c in spec.split(","))):
        match = _CLAUSE.match(clause)
        if not match:
            raise ValueError(f"not a version range: {spec!r}")
        op, number, wildcard = match.group(1) or "==", match.group(2).rstrip("."), match.group(3)
        want = parse_version(number)
        if wildcard or op == "~=":
            prefix = want if wildcard else want[:-1] or want
            in_prefix = have[: len(prefix)] == prefix
            if op == "~=":
                if not (in_prefix and _pad(have, want)[0] >= _pad(have, want)[1]):
                    return False
            elif (op == "==") != in_prefix:
                return False
            continue
        a, b = _pad(have, want)
        if not _OPS[op](a, b):
            return False
    return True
