"""Bounces without a delivery-status part: the plain-text reports of older MTAs.

No vendor string decides here; the general shapes do.  A message is a bounce
when the *envelope* says so (null Return-Path, a mailer-daemon/postmaster
sender, ``X-Failed-Recipients``, an NDR marker, a ``multipart/report``) and
its text names failed addresses; each address's diagnostic is the SMTP reply
that follows it ("550 5.1.1 …", "Remote Server returned '550 …'", "#550 …",
qmail's "(#5.1.1)"), else the first line of reason written after it.
"""

from __future__ import annotations

import re
from email.message import Message
from email.utils import getaddresses

from mailplug.plugin import Report, ReportRecipient

from .diagnose import diagnose
from .facts import ADDRESS, find_reply, original_message_id
from .mime import embedded_headers, header, human_text
from .standard import report_type

__all__ = ["TextBounceParser", "is_forward"]

_DAEMONS = re.compile(
    r"^(?:mailer-?daemon|postmaster|mail-?daemon|microsoftexchange\w*|mdaemon|mailadmin|"
    r"mail-?administrator|mailerdaemon|bounces?|nobody|root)$",
    re.IGNORECASE,
)
_DAEMON_NAMES = re.compile(
    r"mail delivery|delivery (?:sub)?system|mail administrator|postmaster|mailer[- ]daemon|"
    r"delivery status|system administrator|mail system|microsoft outlook",
    re.IGNORECASE,
)
# Subjects of delivery failures and delays, in the languages our users' partners write.
_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (?:status|fail|notification|problem|delayed|report)|"
    r"failure notice|returned mail|returning message|mail delivery|could not be delivered|"
    r"non[- ]?delivery|delivery has failed|warning: (?:could not|message)|nondeliverable|"
    r"niedostarcz|nie (?:został[ao]?|mogła) (?:być )?dostarcz|zwrot|opóźni|"
    r"unzustellbar|nicht zugestellt|zustellung|non remis|non distribuable|échec|"
    r"no se puede entregar|no entregad|devuelt|non recapitat|mancato recapito|"
    r"onbestelbaar|niet afgeleverd|nedoručiteln|nedoručen|não entregue|falha na entrega|"
    r"не доставлено|недоставлен|delivery delayed|message status|delayed mail|"
    r"not (?:been )?delivered|could not deliver|unable to deliver|mail system error|"
    r"zustellbar|übermittlungsstatus|zustellstatus|recapitabile|estado de entrega|"
    r"état de (?:la )?remise|stanie dostarcz|nedoručitelná|returned to sender",
    re.IGNORECASE,
)
_FORWARD = re.compile(r"^\s*(?:fwd?|fw|pd|wg|tr|rv|i)\s*:", re.IGNORECASE)
_DELAY = re.compile(
    r"delay|warning|not (?:yet )?been delivered|hasn't been delivered yet|"
    r"will (?:continue|keep) (?:to )?(?:try|attempt)|still (?:being )?(?:tried|trying)|"
    r"opóźni|verzögert|retard|retras|ritard|vertraag|zpožd|atras|задерж",
    re.IGNORECASE,
)
# Phrases of a delivery system's failure text, for daemon mail with an unusual subject.
_BODY_BOUNCE = re.compile(
    r"could not be delivered|couldn't be delivered|wasn't delivered|was not delivered|"
    r"delivery (?:has )?failed|permanent (?:fatal )?error|undeliverable|following addresses? "
    r"(?:had|failed)|unable to deliver|delivery to the following recipients? failed|"
    r"not able to deliver|could not deliver|niedostarczon|nie został[ao]? dostarczon|"
    r"nicht zugestellt|n'a pas pu être remis|no se pudo entregar|non è stato possibile|"
    r"did not reach|could not be reached|not yet been delivered|hasn't been delivered yet|"
    r"will (?:continue|keep) (?:to )?(?:try|attempt)|still (?:being )?(?:tried|trying)|"
    r"delivery (?:is )?delayed|has been delayed",
    re.IGNORECASE,
)
_FAIL_WORDS = re.compile(
    r"permanent|given up|gave up|giving up|could not be delivered|couldn't be delivered|"
    r"wasn't delivered|failed|undeliverable|niedostarcz",
    re.IGNORECASE,
)
# Where the returned original starts: everything after it is the original, not the report.
_CUT = re.compile(
    r"^[ \t]*(?:-{2,}.*(?:original|copy of|returned|below this line|unsent|undelivered|"
    r"headers? (?:of|follow)|nachricht|message d'origine|mensaje original|wiadomo).*|"
    r"original message headers:?|original message follows.*|"
    r"-+ ?Original message.*|.*follows the original message.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_LABEL_NOISE = re.compile(
    r"^(?:from|sender|sender address|return-path|reply-to|message-id|in-reply-to|references|"
    r"envelope-from|mail from|nadawca|absender|von|de|da)\s*:",
    re.IGNORECASE,
)
_ID_LABEL = re.compile(r"message-?id|references|in-reply-to", re.IGNORECASE)
_MTA = (
    re.compile(r"mail system at host ([\w.\-]+)", re.IGNORECASE),
    re.compile(r"qmail-send program at ([\w.\-]+?)\.?\s", re.IGNORECASE),
    re.compile(r"Generating server:\s*([\w.\-]+)", re.IGNORECASE),
    re.compile(r"notification from ([\w.\-]+?)\.?\s", re.IGNORECASE),
    re.compile(r"on the queue on ([\w.\-]+?)\.?\s", re.IGNORECASE),
    re.compile(r"^Reporting-MTA:\s*(?:dns;\s*)?([\w.\-]+)", re.IGNORECASE | re.MULTILINE),
)


def is_forward(message: Message) -> bool:
    """A person forwarding mail ("Fwd: Undelivered Mail …") is not a report to us."""
    return bool(_FORWARD.match(header(message, "Subject")))


def _addresses(message: Message, *names: str) -> set[str]:
    values = [header(message, name) for name in names]
    return {addr.lower() for _, addr in getaddresses(values) if "@" in addr}


def bounce_sender(message: Message) -> bool:
    """The envelope looks like a delivery system's: null sender or a daemon's address."""
    if header(message, "Return-Path").strip() in ("<>", "<<>>"):
        return True
    for name, addr in getaddresses([header(message, "From"), header(message, "Sender")]):
        local = addr.partition("@")[0]
        if _DAEMONS.match(local) or (name and _DAEMON_NAMES.search(name)):
            return True
    return False


class TextBounceParser:
    """Plain-text and non-standard bounces (Exim, qmail, Sendmail, Exchange, Gmail …)."""

    def parse(self, message: Message) -> Report | None:
        if is_forward(message):
            return None
        subject = header(message, "Subject")
        marked = bool(
            header(message, "X-Failed-Recipients")
            or message.get("X-MS-Exchange-Message-Is-Ndr") is not None
            or report_type(message) == "delivery-status"
        )
        from_daemon = bounce_sender(message)
        bounce_subject = bool(_SUBJECT.search(subject))
        if not (marked or from_daemon):
            return None
        full = human_text(message)
        if not (marked or bounce_subject or _BODY_BOUNCE.search(full[:4000])):
            return None
        cut = _CUT.search(full)
        text = full[: cut.start()] if cut else full
        delayed = bool(_DELAY.search(subject)) or (
            bool(_DELAY.search(text[:1500])) and not _FAIL_WORDS.search(subject)
        )
        recipients = self._recipients(message, text, "delayed" if delayed else "failed")
        if not recipients:
            if not marked:
                return None
            recipients = []
        mta = _reporting_mta(full)
        for recipient in recipients:
            recipient.reporting_mta = mta
        return Report(
            kind="dsn",
            format="text",
            original_message_id=original_message_id(message, full),
            reporting_mta=mta,
            recipients=recipients,
        )

    def _recipients(self, message: Message, text: str, action: str) -> list[ReportRecipient]:
        own = _addresses(message, "To", "Cc", "From", "Sender", "Reply-To", "Delivered-To")
        listed = [
            a.strip().strip("<>")
            for a in header(message, "X-Failed-Recipients").split(",")
            if "@" in a
        ]
        candidates: list[str] = []
        seen: set[str] = set()
        for address in listed or _candidates(text):
            key = address.lower()
            if key in seen or (not listed and key in own):
                continue
            local = key.partition("@")[0]
            if not listed and _DAEMONS.match(local):
                continue
            seen.add(key)
            candidates.append(address)
        found = [diagnose(address, candidates, text, action) for address in candidates]
        if not listed:
            found = _plausible(found, _original_recipients(message))
        if len(found) == 1 and found[0].remote_code is None and found[0].status is None:
            # One recipient: a reply anywhere in the text is its reply (Gmail writes
            # "The response from the remote server was:" paragraphs below the address).
            reply = find_reply(text)
            if reply is not None:
                found[0].remote_code, found[0].status = reply.code, reply.enhanced
                found[0].diagnostic = reply.text or found[0].diagnostic
        return found


def _original_recipients(message: Message) -> set[str]:
    original = embedded_headers(message)
    if original is None:
        return set()
    return _addresses(original, "To", "Cc", "Bcc")


def _plausible(found: list[ReportRecipient], original: set[str]) -> list[ReportRecipient]:
    """Drop addresses the text merely mentions (a helpdesk, a forwarding note).

    When the returned original names its recipients, an address that is not one
    of them is kept only if a reply or reason follows it (an alias's expansion).
    """
    if not original or not any(r.address.lower() in original for r in found):
        return found
    return [
        r
        for r in found
        if r.address.lower() in original or r.remote_code is not None or r.status is not None
    ]


def _candidates(text: str) -> list[str]:
    """Addresses in the report's own text, in order, without sender lines, ids and URLs."""
    out = []
    for line in text.split("\n"):
        if _LABEL_NOISE.match(line.strip()):
            continue  # "From:", "Sender Address:", "Message-ID:" name us or ids, not recipients
        for match in ADDRESS.finditer(line):
            before = line[: match.start()]
            words = before.split()
            if words and "/" in words[-1]:
                continue  # user@host inside a URL
            if before.endswith("<") and _ID_LABEL.search(before):
                continue  # <id@host> in a References list
            out.append(match.group(0).strip(".'"))
    return out


def _reporting_mta(text: str) -> str | None:
    for pattern in _MTA:
        found = pattern.search(text)
        if found:
            return found.group(1).rstrip(".")
    return None
