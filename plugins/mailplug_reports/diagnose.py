"""The diagnostic a plain-text report gives for one address: the reply after it, else its reason."""

from __future__ import annotations

import re

from mailplug.plugin import ReportRecipient

from .facts import ADDRESS, find_reply, status_in, strip_codes

__all__ = ["diagnose", "reason"]


def diagnose(address: str, candidates: list[str], text: str, action: str) -> ReportRecipient:
    others = [re.escape(a) for a in candidates if a.lower() != address.lower()]
    stop = re.compile("|".join(others), re.IGNORECASE) if others else None
    fallback: str | None = None
    status: str | None = None
    for match in re.finditer(re.escape(address), text, re.IGNORECASE):
        window = text[match.end() : match.end() + 1500]
        if stop is not None:
            nxt = stop.search(window)
            if nxt:
                window = window[: nxt.start()]
        # The window starts on the address's own line; keep what follows on it.
        reply = find_reply(window)
        if reply is not None and reply.code is not None:
            return ReportRecipient(
                address=address,
                action=action,
                status=reply.enhanced or status_in(window),
                remote_code=reply.code,
                diagnostic=reply.text or None,
            )
        if fallback is None:
            fallback = reason(window)
            status = status_in(window)
    return ReportRecipient(address=address, action=action, status=status, diagnostic=fallback)


_LABELLED = re.compile(
    r"^(?:reason|error|diagnostic(?:-code)?|status|because|powód|przyczyna|błąd|grund|fehler|"
    r"raison|erreur|motivo|error|razón|causa)\s*:\s*(\S.*)$",
    re.IGNORECASE,
)
_LABEL_ONLY = re.compile(r"^[\w .'-]{1,40}:\s*\S{0,12}$")


def reason(window: str) -> str | None:
    """The reason written after an address: a labelled line ("Error: …") first, else
    the first line that is neither a bare label ("Technical details …:") nor an address."""
    lines = [line.strip().lstrip(":>)]").strip() for line in window.split("\n")[:8]]
    for line in lines:
        labelled = _LABELLED.match(line)
        if labelled:
            return strip_codes(labelled.group(1)) or None
    for line in lines:
        if len(line) > 3 and not ADDRESS.fullmatch(line) and not _LABEL_ONLY.match(line):
            return strip_codes(line) or None
    return None
