"""Built-in reports plugin: recognises bounces, read receipts, auto-replies and feedback reports.

Parsers (registered through ``mailplug_register_report_parsers``, in call order):

- ``rfc8098`` (:class:`~mailplug_reports.standard.MdnParser`) — read receipts;
- ``rfc5965`` (:class:`~mailplug_reports.standard.FeedbackParser`) — abuse/auth reports;
- ``rfc3464`` (:class:`~mailplug_reports.standard.DsnParser`) — standard DSNs;
- ``text`` (:class:`~mailplug_reports.text.TextBounceParser`) — plain-text bounces of
  any MTA, recognised by shape, not by vendor strings;
- ``text-receipt`` and ``rfc3834`` (:mod:`mailplug_reports.replies`) — Outlook's plain
  read receipts and automatic replies (which are never bounces).

It also adds ``mailplug bounces parse FILE|DIR|MBOX``.
"""
