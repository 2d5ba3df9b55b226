"""What a report's code-less diagnostic means when the SMTP reply table has no key for it.

A delivery report often carries the reporting server's own words instead of
a remote reply ("connect to mx…: Connection timed out", "mail for x loops back
to myself").  Only those (no reply code) reach this table; replies with a code
are the SMTP table's, exactly as for a live refusal.
"""

from __future__ import annotations

import re

from mailplug.plugin import ErrorSpec, ServerReply

from .keys import DOMAIN_NOT_FOUND, REMOTE_UNREACHABLE, ROUTING_LOOP

__all__ = ["classify_unreplied"]

_LOOP = re.compile(
    r"loops? back to myself|too many hops|hop count|routing loop|mail loop|loop detected",
    re.IGNORECASE,
)
# A resolver's words the SMTP reply table does not know (it knows "host not found", "no MX",
# "NXDOMAIN", "domain not found" and says so with its own bad-domain key).
_NO_DOMAIN = re.compile(
    r"host ?name lookup fail|no route found to domain|could ?n[o']t find any host|"
    r"no such (?:domain|host)|name service error",
    re.IGNORECASE,
)
# The domain does not exist: the SMTP table's bad-domain key says that, not "unreachable".
_DOMAIN = re.compile(
    r"no mx|nxdomain|host not found|host unknown|domain (?:name )?not found|no route found to "
    r"domain|lookup fail|name server|unrouteable|unroutable",
    re.IGNORECASE,
)
_UNREACHABLE = re.compile(
    r"timed? ?out|connection refused|unable to connect|failed to connect|could ?n[o']t connect|"
    r"establish (?:an? )?(?:smtp )?connection|no route to host|network is unreachable|"
    r"have been failing|connection (?:lost|reset|closed|failed)|delivery time expired|"
    r"message expired|retry time|expired",
    re.IGNORECASE,
)


def classify_unreplied(reply: ServerReply, stage: str) -> ErrorSpec | None:
    """The key for a report's code-less diagnostic, or ``None`` (the SMTP table decides)."""
    if stage != "rcpt" or reply.code is not None:
        return None
    if _LOOP.search(reply.text):
        return ROUTING_LOOP
    if _NO_DOMAIN.search(reply.text):
        return DOMAIN_NOT_FOUND
    if _DOMAIN.search(reply.text):
        return None
    if _UNREACHABLE.search(reply.text):
        return REMOTE_UNREACHABLE
    return None
