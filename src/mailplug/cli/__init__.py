"""The ``mailplug`` command line.

Commands live in small modules that register themselves with
:func:`~mailplug.cli._base.command`; :func:`main` imports them, builds the
parser and maps errors to sysexits exit codes.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from ._base import COMMANDS, Context, build_parser, exit_code_for

__all__ = ["main"]

#: Command modules, imported when the CLI starts (never by ``import mailplug``).
COMMAND_MODULES = (
    "mailplug.cli.core",
    "mailplug.cli.outbox",
    "mailplug.cli.importing",
    "mailplug.cli.oauth",
    "mailplug.cli.check",
)


def _load_commands() -> None:
    for name in COMMAND_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, sysexits codes on failure)."""
    from ..errors import MailplugError

    _load_commands()
    parser = build_parser(COMMANDS)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2 → 64)
        return 0 if exc.code in (0, None) else 64
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 64
    ctx = Context(args)
    try:
        return int(handler(ctx, args) or 0)
    except MailplugError as exc:
        ctx.print_error(exc)
        return exit_code_for(exc)
    except KeyboardInterrupt:
        return 130
    finally:
        ctx.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
