"""Texts of the reports plugin (``mailplug bounces parse``)."""

from __future__ import annotations

from mailplug.plugin import Text

__all__ = ["REPORTS_TEXTS", "SUMMARY", "UNREADABLE"]

SUMMARY = Text(
    "{file}: {kind}, {count} recipient(s), original message {original}",
    context="reports.summary",
)
UNREADABLE = Text("{file}: cannot be read ({problem})", context="reports.unreadable")
RECIPIENT_LINE = Text("  {address}: {action} {status} — {reason}", context="reports.recipient")
REPORTS_TEXTS = (SUMMARY, UNREADABLE, RECIPIENT_LINE)
