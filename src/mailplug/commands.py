"""What a CLI command is, for the core's commands and for plugins that add their own.

A plugin adds commands through
:func:`~mailplug.hookspecs.mailplug_register_commands`::

    @hookimpl
    def mailplug_register_commands(register):
        register(Command("authorize", group="accounts", help="…", handler=authorize,
                         arguments=add_arguments))

The handler gets a :class:`CommandContext` (the command's language, output
helpers, the mailer) and the parsed arguments, and returns an exit code.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol, TextIO, TypeVar

from .text import Text

__all__ = [
    "EX_CONFIG",
    "EX_DATAERR",
    "EX_IOERR",
    "EX_NOINPUT",
    "EX_NOPERM",
    "EX_OK",
    "EX_TEMPFAIL",
    "EX_UNAVAILABLE",
    "EX_USAGE",
    "Command",
    "CommandContext",
    "Handler",
]

T = TypeVar("T")

# sysexits.h
EX_OK, EX_USAGE, EX_DATAERR, EX_NOINPUT = 0, 64, 65, 66
EX_UNAVAILABLE, EX_IOERR, EX_TEMPFAIL, EX_NOPERM, EX_CONFIG = 69, 74, 75, 77, 78


class CommandContext(Protocol):
    """What a command handler gets besides its arguments."""

    @property
    def lang(self) -> str | None:
        """The ``--lang`` the user asked for (``None``: the environment's)."""

    @property
    def json(self) -> bool:
        """``--json``: print one JSON document on standard output."""

    out: TextIO
    err: TextIO

    def mailer(self, **kwargs: Any) -> Any:
        """The :class:`~mailplug.mailer.AsyncMailer` for the accounts file, built once."""

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the command's event loop."""

    def t(self, text: Text, n: int | None = None, **params: Any) -> str:
        """``text`` in the command's language, its placeholders filled."""

    def print(self, *lines: str) -> None: ...

    def print_json(self, data: Any) -> None: ...


Handler = Callable[[Any, argparse.Namespace], int | None]


@dataclass
class Command:
    """A ``mailplug`` subcommand.

    :ivar name: the command (``authorize``).
    :ivar group: the command group it belongs to (``accounts`` → ``mailplug accounts
        authorize``), or ``None`` for a top-level command.
    :ivar help: one line for ``--help``.
    :ivar handler: ``handler(ctx, args) -> exit code`` (``None`` means 0).
    :ivar arguments: adds the command's arguments to its ``argparse`` parser.
    """

    name: str
    group: str | None
    help: str
    handler: Handler
    arguments: Callable[[argparse.ArgumentParser], None] | None = None
    json: bool = True
