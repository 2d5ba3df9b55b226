"""Messages people's programs send back: auto-replies (RFC 3834) and plain read receipts."""

from __future__ import annotations

import re
from email.message import Message

from mailplug.plugin import Report

from .facts import original_message_id
from .mime import header, human_text
from .text import bounce_sender, is_forward

__all__ = ["AutoReplyParser", "TextReceiptParser"]

# Subject prefixes of vacation and out-of-office replies (Exchange/Outlook in their
# languages, Sieve's "Auto:", Polish providers).
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[ -]?(?:reply|response|antwort|svar)|auto:|autoreply|"
    r"out of (?:the )?office|ooo\b|away from|on vacation|vacation|"
    r"automatyczna odpowied|odpowied[zź] automatyczna|autoodpowied|nieobecno|urlop|"
    r"automatische antwort|abwesenheit|r[ée]ponse automatique|absence|"
    r"respuesta autom[aá]tica|fuera de la oficina|risposta automatica|fuori sede|"
    r"automatisch antwoord|afwezig|automatická odpověď|resposta autom[aá]tica)",
    re.IGNORECASE,
)
_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Vacation")


class AutoReplyParser:
    """Automatic replies: ``Auto-Submitted: auto-replied``, X-Autoreply, vacation subjects.

    Runs after the bounce parsers: a bounce also carries ``Auto-Submitted``.
    """

    def parse(self, message: Message) -> Report | None:
        if is_forward(message):
            return None
        auto = header(message, "Auto-Submitted").lower()
        precedence = header(message, "Precedence").lower()
        signals = (
            auto.startswith("auto-replied")
            or any(header(message, name) for name in _AUTO_HEADERS)
            or precedence == "auto_reply"
            or bool(_AUTO_SUBJECT.match(header(message, "Subject")))
        )
        if not signals:
            return None
        return Report(
            kind="autoreply",
            format="rfc3834",
            original_message_id=original_message_id(message, returned=False),
        )


_READ = re.compile(
    r"^\s*(?:read|przeczytano|gelesen|lu|le[ií]do|letto|gelezen|lido|přečteno|прочитано)\s*:",
    re.IGNORECASE,
)
_NOT_READ = re.compile(
    r"^\s*(?:not read|nie przeczytano|nicht gelesen|ungelesen|non lu|no le[ií]do|non letto|"
    r"niet gelezen|não lido|nepřečteno|не прочитано)\s*:",
    re.IGNORECASE,
)
_DELETED = re.compile(
    r"deleted without being read|usunięt\w* bez (?:przeczytania|odczytania)|"
    r"ungelesen gelöscht|supprimé sans|eliminado sin",
    re.IGNORECASE,
)


class TextReceiptParser:
    """Read receipts without an MDN part (Outlook's "Read:" / "Not read:" messages)."""

    def parse(self, message: Message) -> Report | None:
        subject = header(message, "Subject")
        not_read = bool(_NOT_READ.match(subject))
        if not (not_read or _READ.match(subject)) or (bounce_sender(message) and not subject):
            return None
        deleted = not_read or bool(_DELETED.search(human_text(message)[:5000]))
        return Report(
            kind="mdn",
            format="text-receipt",
            original_message_id=original_message_id(message, returned=False),
            disposition="deleted" if deleted else "displayed",
            reader=_sender(message),
        )


def _sender(message: Message) -> str | None:
    from email.utils import parseaddr

    address = parseaddr(header(message, "From"))[1]
    return address or None
