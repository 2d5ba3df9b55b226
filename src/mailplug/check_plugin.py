"""The built-in ``check`` plugin: the account check's messages and the provider presets."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .check_keys import CHECK_ERRORS, CHECK_TEXTS
from .hookspecs import hookimpl

if TYPE_CHECKING:
    from .errors import ErrorSpec, Text
    from .presets import Preset


@hookimpl(trylast=True)
def mailplug_register_messages(register: Callable[[ErrorSpec | Text], None]) -> None:
    from .presets import PRESET_TEXTS

    for spec in CHECK_ERRORS:
        register(spec)
    for text in (*CHECK_TEXTS, *PRESET_TEXTS):
        register(text)


@hookimpl(trylast=True)
def mailplug_register_presets(register: Callable[[Preset], None]) -> None:
    from .presets import register_builtin

    register_builtin(register)
