"""Keys and texts of the reports plugin.

The keys cover what only a delivery report can say: the *recipient's* server
could not be reached by the provider's server, or the mail went round in a
loop.  A live SMTP refusal always carries a reply code, so these keys are
given only to a report's code-less diagnostic (see :mod:`mailplug_reports.meaning`);
everything else a report says is classified by the SMTP reply table.
"""

from __future__ import annotations

from mailplug.plugin import Category, ErrorSpec, Text

__all__ = [
    "DOMAIN_NOT_FOUND",
    "REMOTE_UNREACHABLE",
    "REPORTS_ERRORS",
    "REPORTS_TEXTS",
    "ROUTING_LOOP",
    "SUMMARY",
    "UNREADABLE",
]

REMOTE_UNREACHABLE = ErrorSpec(
    "report.remote_unreachable",
    Category.CONNECTION,
    True,
    "The mail server of your provider could not reach the recipient's mail server.",
    "Usually the recipient's server is down or overloaded. Wait for the final report, or ask "
    "the recipient another way whether their e-mail works.",
)
ROUTING_LOOP = ErrorSpec(
    "report.routing_loop",
    Category.CONFIGURATION,
    False,
    "The message went round in a loop between mail servers and was stopped.",
    "The recipient's domain is forwarded back and forth (wrong forwarding or server "
    "settings). Tell the recipient's administrator; the message was not delivered.",
)
DOMAIN_NOT_FOUND = ErrorSpec(
    "report.domain_not_found",
    Category.RECIPIENT,
    False,
    "The mail server of your provider found no mail server for the recipient's domain.",
    "Check the part of the address after @ for typing errors; if it is right, the "
    "recipient's domain has no working e-mail. Ask the recipient another way.",
)
REPORTS_ERRORS = (REMOTE_UNREACHABLE, ROUTING_LOOP, DOMAIN_NOT_FOUND)

SUMMARY = Text(
    "{file}: {kind}, {count} recipient(s), original message {original}",
    context="reports.summary",
)
UNREADABLE = Text("{file}: cannot be read ({problem})", context="reports.unreadable")
RECIPIENT_LINE = Text("  {address}: {action} {status} — {reason}", context="reports.recipient")
REPORTS_TEXTS = (SUMMARY, UNREADABLE, RECIPIENT_LINE)
