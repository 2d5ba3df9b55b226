"""``mailplug bounces parse FILE|DIR|MBOX``: offline analysis of saved reports."""

from __future__ import annotations

import argparse
import json
import mailbox
from collections.abc import Iterator
from pathlib import Path

from mailplug.plugin import EX_NOINPUT, EX_OK, Command, CommandContext, file_error, keys

from . import keys as texts

__all__ = ["PARSE", "read_sources"]


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", type=Path, help=".eml files, folders of them, or mbox files")


def read_sources(path: Path) -> Iterator[tuple[str, bytes]]:
    """``(name, raw message)`` for a file, every file under a folder, or each message of an mbox."""
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            yield from read_sources(child)
        return
    data = path.read_bytes()
    if data.startswith(b"From ") and b"\nFrom " in data:
        box = mailbox.mbox(path, create=False)
        try:
            for index, key in enumerate(box.iterkeys()):
                yield f"{path}#{index + 1}", box.get_bytes(key)
        finally:
            box.close()
        return
    yield str(path), data


def parse(ctx: CommandContext, args: argparse.Namespace) -> int:
    from mailplug import AsyncMailer

    # Offline: no accounts file and no outbox are needed to read saved reports.
    analyser = AsyncMailer(lang=ctx.lang, outbox=None)
    results = []
    status = EX_OK
    for path in args.paths:
        try:
            sources = list(read_sources(path))
        except OSError as exc:
            error = file_error(path, exc)  # missing, not allowed, locked … each its own key
            ctx.err.write(
                ctx.t(texts.UNREADABLE, file=str(path), problem=error.message(ctx.lang)) + "\n"
            )
            status = EX_NOINPUT
            continue
        for name, raw in sources:
            if not raw.strip():  # an empty file is not a report that says nothing
                error = keys.FILE_EMPTY.error(file=name)
                ctx.err.write(
                    ctx.t(texts.UNREADABLE, file=name, problem=error.message(ctx.lang)) + "\n"
                )
                status = EX_NOINPUT
                continue
            report = analyser.parse_report(raw)
            data = {"file": name, **report.to_dict()}
            for recipient, row in zip(report.recipients, data["recipients"], strict=True):
                if recipient.error is not None:
                    reason = analyser.localize(recipient.error.error(reply=recipient.reply))
                    row["message"] = reason.message(ctx.lang)
                    row["advice"] = reason.advice(ctx.lang)
            results.append(data)
            if not ctx.json:
                ctx.print(
                    ctx.t(
                        texts.SUMMARY,
                        file=name,
                        kind=report.kind,
                        count=len(report.recipients),
                        original=report.original_message_id or "?",
                    )
                )
                for row in data["recipients"]:
                    ctx.print(
                        ctx.t(
                            texts.RECIPIENT_LINE,
                            address=row["address"],
                            action=row["action"],
                            status=row["status"] or "",
                            reason=row.get("message") or row["diagnostic"] or "",
                        )
                    )
    if ctx.json:
        # JSON Lines: one object per report, so a big folder streams into other tools.
        for data in results:
            ctx.out.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    return status


PARSE = Command(
    "parse",
    group="bounces",
    help="recognise bounces, read receipts and auto-replies in saved messages",
    handler=parse,
    arguments=_arguments,
)
