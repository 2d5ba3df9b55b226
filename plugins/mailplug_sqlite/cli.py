"""``mailplug outbox check | backup PATH | salvage PATH``: looking after the SQLite outbox file.

The file is found as the outbox itself would be (``outbox_path`` in the accounts
file, else ``outbox.sqlite3`` in the data folder); ``--file`` names another one.
These commands do not open the outbox through the storage plugin, so they work
on a file SQLite refuses to open.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mailplug.plugin import EX_IOERR, EX_OK, Command, CommandContext, utcnow

from . import care, texts
from .database import parse_location

__all__ = ["COMMANDS"]


def _outbox_file(ctx: CommandContext, args: argparse.Namespace) -> Path:
    if args.file is not None:
        return Path(args.file)
    mailer: Any = ctx.mailer()
    return parse_location(mailer.config.outbox, Path(mailer.services.data_dir)).path


def _file_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--file", type=Path, help="the outbox file (default: the configured outbox)")


def _check(ctx: CommandContext, args: argparse.Namespace) -> int:
    result = care.check(_outbox_file(ctx, args))
    if ctx.json:
        ctx.print_json(
            {
                "file": str(result.path),
                "ok": result.ok,
                "problems": list(result.problems),
                "missing_bodies": list(result.missing),
                "orphan_files": [str(p) for p in result.orphans],
            }
        )
        return EX_OK if result.ok else EX_IOERR
    if result.problems or result.ok:
        text = texts.CHECK_OK if result.ok else texts.CHECK_DAMAGED
        ctx.print(ctx.t(text, file=str(result.path)), *(f"  {p}" for p in result.problems))
    if result.missing:
        ctx.print(ctx.t(texts.CHECK_MISSING_BODIES, n=len(result.missing)))
        ctx.print(*(f"  {entry}" for entry in result.missing[:50]))
    if result.orphans:
        ctx.print(ctx.t(texts.CHECK_ORPHAN_FILES, n=len(result.orphans)))
    return EX_OK if result.ok else EX_IOERR


def _target_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", type=Path, help="the new file to write (must not exist)")
    _file_arg(p)


def _backup(ctx: CommandContext, args: argparse.Namespace) -> int:
    done = care.backup(_outbox_file(ctx, args), args.path)
    if ctx.json:
        ctx.print_json(
            {
                "file": str(args.path),
                "pages": done.pages,
                "body_files": done.files,
                "missing_bodies": list(done.missing),
            }
        )
        return EX_OK if not done.missing else EX_IOERR
    ctx.print(ctx.t(texts.BACKUP_DONE, file=str(args.path), pages=done.pages))
    if done.files:
        ctx.print(ctx.t(texts.BACKUP_FILES, n=done.files))
    if done.missing:
        ctx.print(ctx.t(texts.CHECK_MISSING_BODIES, n=len(done.missing)))
        ctx.print(*(f"  {entry}" for entry in done.missing[:50]))
    return EX_OK if not done.missing else EX_IOERR


def _salvage(ctx: CommandContext, args: argparse.Namespace) -> int:
    source = _outbox_file(ctx, args)
    report = care.salvage(source, args.path, now=utcnow())
    if ctx.json:
        ctx.print_json(report.to_dict())
        return EX_OK
    ctx.print(ctx.t(texts.SALVAGE_DONE, n=report.total, file=str(args.path)))
    ctx.print(*(f"  {status}: {n}" for status, n in sorted(report.rescued.items())))
    if report.lost:
        ctx.print(ctx.t(texts.SALVAGE_LOST, n=len(report.lost)))
        ctx.print(*(f"  {x.id}  {x.status}  {x.subject}" for x in report.lost[:50]))
    if report.unreadable_bodies:
        ctx.print(ctx.t(texts.SALVAGE_ORPHANS, n=report.unreadable_bodies))
    if report.recipients_rebuilt:
        ctx.print(ctx.t(texts.SALVAGE_RECIPIENTS_REBUILT, n=len(report.recipients_rebuilt)))
        ctx.print(*(f"  {entry_id}" for entry_id in report.recipients_rebuilt[:50]))
    ctx.print(ctx.t(texts.SALVAGE_NEXT, old=str(source), file=str(args.path)))
    return EX_OK


COMMANDS = (
    Command(
        "check",
        group="outbox",
        help="check the outbox file for damage (plain verdict; exit 74 when damaged)",
        handler=_check,
        arguments=_file_arg,
    ),
    Command(
        "backup",
        group="outbox",
        help="copy the outbox to a new file, consistently, even while mail is being sent",
        handler=_backup,
        arguments=_target_args,
    ),
    Command(
        "salvage",
        group="outbox",
        help="rescue every readable message of a damaged outbox into a new file",
        handler=_salvage,
        arguments=_target_args,
    ),
)
