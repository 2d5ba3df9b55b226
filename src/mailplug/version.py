"""Checking that the installed mail component is recent enough for the host."""

from __future__ import annotations

from . import keys
from ._version import __version__
from ._versions import satisfies

__all__ = ["require_version"]


def require_version(spec: str, *, installed: str = __version__) -> str:
    """Raise unless the installed mailplug satisfies ``spec`` (``">=0.2"``, ``">=1,<2"``).

    A bare version (``"0.2"``) means "at least this".

    :returns: the installed version.
    :raises mailplug.errors.VersionError: ``version.too_old``, naming both versions.
    """
    text = spec.strip()
    if text and text[0].isdigit():
        text = f">={text}"
    try:
        ok = satisfies(installed, text)
    except ValueError as exc:
        raise ValueError(f"not a version requirement: {spec!r}") from exc
    if not ok:
        lower = ",".join(c for c in text.split(",") if c.strip()[:1] in {">", "~"})
        too_old = bool(lower) and not satisfies(installed, lower)
        spec_ = keys.VERSION_TOO_OLD if too_old else keys.VERSION_UNSUPPORTED
        raise spec_.error(installed=installed, required=text)
    return installed
