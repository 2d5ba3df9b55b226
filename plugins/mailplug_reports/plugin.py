"""Hook implementations of the built-in reports plugin."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mailplug.plugin import hookimpl

from .replies import AutoReplyParser, TextReceiptParser
from .standard import DsnParser, FeedbackParser, MdnParser
from .text import TextBounceParser

if TYPE_CHECKING:
    from mailplug.plugin import Command, ErrorSpec, ReportParser, ServerReply, Text


@hookimpl(trylast=True)
def mailplug_register_report_parsers(register: Callable[[str, ReportParser], None]) -> None:
    # Order matters: a standard part decides before any text guess, and a bounce
    # (which also says Auto-Submitted) before the auto-reply test.
    register("rfc8098", MdnParser())
    register("rfc5965", FeedbackParser())
    register("rfc3464", DsnParser())
    register("text", TextBounceParser())
    register("text-receipt", TextReceiptParser())
    register("rfc3834", AutoReplyParser())


@hookimpl(trylast=True)
def mailplug_register_commands(register: Callable[[Command], None]) -> None:
    from .cli import PARSE

    register(PARSE)


@hookimpl(trylast=True)
def mailplug_register_messages(register: Callable[[ErrorSpec | Text], None]) -> None:
    from .keys import REPORTS_ERRORS, REPORTS_TEXTS

    for item in (*REPORTS_ERRORS, *REPORTS_TEXTS):
        register(item)


@hookimpl
def mailplug_classify_reply(reply: ServerReply, stage: str) -> ErrorSpec | None:
    # Only a report's code-less diagnostic ("Connection timed out" written by the
    # provider's server); every reply with a code falls through to the SMTP table.
    from .meaning import classify_unreplied

    return classify_unreplied(reply, stage)
