"""mailplug built-in plugin: smtp.

Registered through :mod:`mailplug_smtp.plugin` (its hooks); it imports only
``mailplug`` and ``mailplug.plugin`` of the core.  Modules, from the wire up:

* :mod:`~mailplug_smtp.wire` — the only code that reaches into aiosmtplib's
  internals (pipelined replies, a ``421`` aiosmtplib drops); pinned, with a canary test;
* :mod:`~mailplug_smtp.reply` — a reply off the wire as a ``ServerReply``;
* :mod:`~mailplug_smtp.errormap` — aiosmtplib/``ssl``/socket exceptions → mailplug errors;
* :mod:`~mailplug_smtp.tls` — the TLS context, and what a failed handshake means;
* :mod:`~mailplug_smtp.sasl` — one AUTH exchange per attempt;
* :mod:`~mailplug_smtp.session` — one SMTP session, step by step;
* :mod:`~mailplug_smtp.transport` — the transport: a pool of sessions, rate limit, login state;
* :mod:`~mailplug_smtp.probe` — the account check (``mailplug accounts test``);
* :mod:`~mailplug_smtp.keys`, :mod:`~mailplug_smtp.replies` — the error keys: client-side
  failures, and what server replies can mean;
* :mod:`~mailplug_smtp.table`, :mod:`~mailplug_smtp.rules`,
  :mod:`~mailplug_smtp.providers` — the reply table that picks a key for a reply;
* :mod:`~mailplug_smtp.settings`, :mod:`~mailplug_smtp.auth` — the account's
  ``settings`` and the ``password`` login method.
"""
