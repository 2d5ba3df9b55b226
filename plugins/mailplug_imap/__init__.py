"""mailplug built-in plugin: imap — the IMAP steps of ``mailplug accounts test``.

Registers the probe ``imap`` (:func:`mailplug_imap.probe.probe_imap`), which runs
for every account after its transport's probe: connect to the account's IMAP
server (TLS as set) and log in, then LOGOUT.  No mailbox is opened.
"""
