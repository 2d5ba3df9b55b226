"""The ``mailplug`` command line.

The core's commands live in small modules that register themselves with
:func:`~mailplug.cli._base.command`; plugins add theirs through
:func:`~mailplug.hookspecs.mailplug_register_commands`.  :func:`main` collects
both, builds the parser and maps errors to sysexits exit codes.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from ..commands import Command
from ..errors import MailplugError
from ._base import COMMANDS, Context, build_parser, exit_code_for
from .verbose import verbose

__all__ = ["main"]

#: Command modules, imported when the CLI starts (never by ``import mailplug``).
COMMAND_MODULES = (
    "mailplug.cli.core",
    "mailplug.cli.outbox",
    "mailplug.cli.outbox_care",
    "mailplug.cli.importing",
    "mailplug.cli.check",
    "mailplug.cli.paths",
    "mailplug.cli.password",
)


def _load_commands() -> None:
    for name in COMMAND_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def _plugin_commands() -> list[Command]:
    """Commands registered by plugins; a core command of the same name wins."""
    from ..plugins import Plugins

    taken = {(c.group, c.name) for c in COMMANDS}
    try:
        found = Plugins().commands
    except MailplugError:  # a broken built-in: the core's commands still work
        return []
    return [c for c in found if (c.group, c.name) not in taken]


def _check_language(lang: str | None) -> None:
    """Refuse ``--lang`` for a language no catalog provides (no silent English)."""
    if not lang:
        return
    from ..i18n import FALLBACK_LANG, normalize_lang
    from ..keys import LANGUAGE_MISSING
    from ..plugins import Plugins

    wanted = normalize_lang(lang)
    installed = set(Plugins().catalogs) | {FALLBACK_LANG}
    if wanted in installed or wanted.split("_")[0] in installed:
        return
    raise LANGUAGE_MISSING.error(lang=lang, available=", ".join(sorted(installed)))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, sysexits codes on failure)."""
    _load_commands()
    parser = build_parser([*COMMANDS, *_plugin_commands()])
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2 → 64)
        return 0 if exc.code in (0, None) else 64
    handler = getattr(args, "handler", None)
    if handler is None:
        (getattr(args, "group_parser", None) or parser).print_help()
        return 64
    ctx = Context(args)
    with verbose(getattr(args, "verbose", 0)):
        return _run(ctx, args, handler)


def _run(ctx: Context, args: argparse.Namespace, handler: Any) -> int:
    try:
        try:
            _check_language(ctx.lang)
        except MailplugError as exc:  # a wrong option: a usage error
            ctx.print_error(exc)
            return 64
        code = int(handler(ctx, args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except MailplugError as exc:
        ctx.print_error(exc)
        return exit_code_for(exc)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `mailplug outbox list | head`: the reader left.  Point stdout at /dev/null
        # so Python's final flush does not print a traceback; 141 = 128 + SIGPIPE.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    finally:
        ctx.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
