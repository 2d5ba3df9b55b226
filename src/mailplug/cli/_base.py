"""CLI plumbing: command registry, global options, output in text or JSON, exit codes."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..commands import (
    EX_CONFIG,
    EX_DATAERR,
    EX_IOERR,
    EX_NOINPUT,
    EX_NOPERM,
    EX_OK,
    EX_TEMPFAIL,
    EX_UNAVAILABLE,
    EX_USAGE,
    Command,
    Handler,
)
from ..errors import (
    AuthenticationError,
    ConfigurationError,
    FileError,
    MailplugError,
    MessageError,
    StorageError,
    VersionError,
)

if TYPE_CHECKING:
    from ..config import Config
    from ..mailer import AsyncMailer

__all__ = [
    "COMMANDS",
    "Command",
    "Context",
    "ProgressBar",
    "bar_text",
    "command",
    "exit_code_for",
    "format_table",
    "progress_option",
]

__all__ += [
    "EX_CONFIG",
    "EX_DATAERR",
    "EX_IOERR",
    "EX_NOINPUT",
    "EX_NOPERM",
    "EX_OK",
    "EX_TEMPFAIL",
    "EX_UNAVAILABLE",
    "EX_USAGE",
]

COMMANDS: list[Command] = []


def command(
    name: str,
    *,
    group: str | None = None,
    help: str = "",
    arguments: Callable[[argparse.ArgumentParser], None] | None = None,
    json: bool = True,
) -> Callable[[Handler], Handler]:
    """Register a CLI command: ``@command("list", group="outbox", help=...)``."""

    def decorate(handler: Handler) -> Handler:
        COMMANDS.append(Command(name, group, help, handler, arguments, json))
        return handler

    return decorate


def exit_code_for(error: MailplugError) -> int:
    """sysexits code for an error: 65 data, 66 file, 74 outbox damaged or read-only,
    75 temporary (disk full too), 77 auth, 78 config."""
    if isinstance(error, MessageError):
        return EX_DATAERR
    if isinstance(error, FileError):
        return EX_NOINPUT
    if error.transient:
        return EX_TEMPFAIL
    if isinstance(error, StorageError):
        return EX_IOERR
    if isinstance(error, AuthenticationError):
        return EX_NOPERM
    if isinstance(error, (ConfigurationError, VersionError)):
        return EX_CONFIG
    return EX_UNAVAILABLE


def _common() -> argparse.ArgumentParser:
    # SUPPRESS defaults let the global options stand before or after the command.
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--lang", default=argparse.SUPPRESS, help="language of messages (pl, en)")
    p.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        type=Path,
        help="accounts file (default: $MAILPLUG_CONFIG or the user config dir)",
    )
    p.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        type=Path,
        help="where the outbox and tokens live (default: $MAILPLUG_DATA_DIR or the user data dir)",
    )
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="log what mailplug does on standard error (-vv: in detail); secrets are masked",
    )
    p.add_argument(
        "--app",
        default=argparse.SUPPRESS,
        metavar="MODULE:FUNCTION",
        help="use the host application's mailer (its accounts and plugins), "
        "e.g. myproject.mail:make_mailer (default: $MAILPLUG_APP)",
    )
    return p


def build_parser(commands: Iterable[Command]) -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="mailplug", description="Send e-mail and explain what went wrong.", parents=[common]
    )
    sub = parser.add_subparsers(metavar="COMMAND")
    groups: dict[str, Any] = {}
    for cmd in commands:
        target = sub
        if cmd.group is not None:
            if cmd.group not in groups:
                gp = sub.add_parser(cmd.group, help=f"{cmd.group} commands", parents=[common])
                gp.set_defaults(handler=None, group_parser=gp)  # alone: print its help
                groups[cmd.group] = gp.add_subparsers(metavar="SUBCOMMAND")
            target = groups[cmd.group]
        p = target.add_parser(cmd.name, help=cmd.help, description=cmd.help, parents=[common])
        if cmd.arguments is not None:
            cmd.arguments(p)
        p.set_defaults(handler=cmd.handler)
    return parser


#: Version of the ``--json`` shapes (``docs/json.md``): raised when a field is removed or
#: changes meaning; adding fields keeps it.
JSON_VERSION = 1


@dataclass
class Context:
    """What a command handler gets: global options, output helpers, a lazily built mailer."""

    args: argparse.Namespace
    out: Any = field(default_factory=lambda: sys.stdout)
    err: Any = field(default_factory=lambda: sys.stderr)
    _mailer: AsyncMailer | None = None
    _loop: Any = None

    @property
    def lang(self) -> str | None:
        value: str | None = getattr(self.args, "lang", None)
        return value

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    @property
    def config_path(self) -> Path | None:
        value: Path | None = getattr(self.args, "config", None)
        return value

    @property
    def data_dir(self) -> Path | None:
        value: Path | None = getattr(self.args, "data_dir", None)
        return value

    def config(self) -> Config:
        from ..config import load_config

        config = load_config(self.config_path)
        if config.backup is not None:  # an older accounts file was just upgraded: say so
            from ..importers import NOTICE_CONFIG_MIGRATED

            self.err.write(
                self.t(
                    NOTICE_CONFIG_MIGRATED,
                    file=config.path,
                    old=config.migrated_from,
                    new=config.data.get("version"),
                    backup=config.backup,
                )
                + "\n"
            )
        return config

    def mailer(self, **kwargs: Any) -> AsyncMailer:
        """The mailer for the accounts file, built once per command."""
        app = getattr(self.args, "app", None) or os.environ.get("MAILPLUG_APP")
        if self._mailer is None and app:
            from ..hostapp import load_async

            self._mailer = load_async(app)
        if self._mailer is None:
            from ..mailer import AsyncMailer

            self._mailer = AsyncMailer(
                config=self.config(), lang=self.lang, data_dir=self.data_dir, **kwargs
            )
        return self._mailer

    def run(self, coro: Any) -> Any:
        """Run a coroutine on this command's event loop (kept for the mailer's lifetime)."""
        import asyncio

        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(coro)

    def close(self) -> None:
        if self._mailer is not None:
            self.run(self._mailer.aclose())
            self._mailer = None
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    @property
    def translator(self) -> Any:
        if self._mailer is not None:
            return self._mailer.translator
        from ..i18n import default_translator

        return default_translator()

    @property
    def shown_lang(self) -> str:
        """The language output is shown in: ``--lang``, else the accounts file's or the locale's."""
        return self.lang or str(self.translator.lang)

    def when(self, value: datetime | None, *, seconds: bool = False, short: bool = False) -> str:
        """A moment as the user reads it (babel, local time): ``4 grudnia 2026, 07:06``."""
        from ..text import format_when

        if value is None:
            return "-"
        return format_when(value, self.shown_lang, seconds=seconds, short=short)

    def t(self, text: Any, n: int | None = None, **params: Any) -> str:
        """Translate a :class:`~mailplug.errors.Text` into the command's language."""
        value: str = self.translator.gettext(text, self.lang, n=n)
        params = {k: self.when(v) if isinstance(v, datetime) else v for k, v in params.items()}
        return value.format(**params) if params else value

    def print_json(self, data: Any) -> None:
        """Print ``data`` as JSON; an object gains ``json_version`` (see ``docs/json.md``)."""
        if isinstance(data, dict) and "json_version" not in data:
            data = {"json_version": JSON_VERSION, **data}
        json.dump(data, self.out, ensure_ascii=False, indent=2, default=str)
        self.out.write("\n")

    def print(self, *lines: str) -> None:
        for line in lines:
            self.out.write(line + "\n")

    def print_error(self, error: MailplugError) -> None:
        if self._mailer is not None:
            error.translator = error.translator or self._mailer.translator
        if self.json:
            self.print_json({"error": error.to_dict(self.lang)})
        else:
            self.err.write(error.render(self.lang) + "\n")

    def table(self, rows: list[list[str]], headers: list[str]) -> None:
        """Print a table; on a terminal it is fitted to the terminal's width."""
        width = None
        if self.out.isatty():
            width = shutil.get_terminal_size(fallback=(80, 24)).columns
        self.print(*format_table(rows, headers, width=width))

    def progress_bar(self, option: bool | None, render: Callable[[Any], str]) -> ProgressBar | None:
        """A :class:`ProgressBar` on standard error, or ``None``.

        :param option: ``--progress``/``--no-progress``; not given: only when standard
            error is a terminal and the output is not JSON.
        """
        show = option if option is not None else (self.err.isatty() and not self.json)
        return ProgressBar(self.err, render) if show else None


def progress_option(p: argparse.ArgumentParser) -> None:
    """``--progress``/``--no-progress`` (read with :meth:`Context.progress_bar`)."""
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on standard error (default: when it is a terminal)",
    )


def text_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: wide (CJK) characters two, combining marks none."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def _clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns, an ellipsis marking the cut."""
    if text_width(text) <= width:
        return text
    out, used = [], 0
    for c in text:
        w = text_width(c)
        if used + w > width - 1:
            break
        out.append(c)
        used += w
    return "".join(out) + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * (width - text_width(text))


#: A column is never narrowed below this (or its header), so every column stays readable.
MIN_COLUMN = 8


def format_table(
    rows: list[list[str]], headers: list[str], *, width: int | None = None
) -> list[str]:
    """The lines of a plain table: columns two spaces apart, headers underlined with dashes.

    :param width: the terminal's width: the widest columns are narrowed (cells cut
        with an ellipsis) until a line fits; ``None`` (a pipe, a file) keeps whole cells.
    """
    widths = [text_width(h) for h in headers]
    for row in rows:
        widths = [max(w, text_width(c)) for w, c in zip(widths, row, strict=False)]
    if width is not None:
        floors = [
            max(MIN_COLUMN, text_width(h)) if w > MIN_COLUMN else w
            for w, h in zip(widths, headers, strict=True)
        ]
        excess = sum(widths) + 2 * (len(widths) - 1) - width
        while excess > 0:
            # Narrow the widest column that can still give: long subjects and
            # addresses give first, short ids and statuses stay whole.
            candidates = [i for i, w in enumerate(widths) if w > floors[i]]
            if not candidates:
                break
            i = max(candidates, key=lambda k: widths[k])
            step = min(excess, widths[i] - floors[i])
            widths[i] -= step
            excess -= step
    lines = []
    for row in [headers, ["-" * w for w in widths], *rows]:
        cells = [_pad(_clip(c, w), w) for c, w in zip(row, widths, strict=False)]
        lines.append("  ".join(cells).rstrip())
    return lines


def bar_text(done: int, total: int, width: int, *, empty: str = " ") -> str:
    """``#####     ``: ``done`` of ``total`` as a bar ``width`` characters wide."""
    filled = int(width * min(done / max(total, 1), 1.0))
    return "#" * filled + empty * (width - filled)


class ProgressBar:
    """A progress line on a terminal stream, redrawn in place (``\\r``).

    ``render(progress)`` makes the line from anything with ``done`` and
    ``total``; it is redrawn at most ten times a second, and always when
    ``done`` reaches ``total``.  Safe to call from a worker thread.
    """

    def __init__(self, stream: TextIO, render: Callable[[Any], str]) -> None:
        self.stream = stream
        self.render = render
        self._lock = threading.Lock()
        self._last = 0.0
        self._drawn = False

    def __call__(self, progress: Any) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < 0.1 and progress.done < progress.total:
                return
            self._last = now
            self.stream.write(f"\r{self.render(progress)}\x1b[K")
            self.stream.flush()
            self._drawn = True

    def close(self) -> None:
        """End the line (if one was drawn)."""
        with self._lock:
            if self._drawn:
                self.stream.write("\n")
                self.stream.flush()
