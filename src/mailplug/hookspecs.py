"""Hook specifications: the contract between the mailplug core and its plugins.

Every hook is synchronous.  Registration hooks hand objects (factories,
catalog files, message tables) to a ``register`` callback; the network and
disk work happens later in ``async def`` methods of those objects.  An
implementation may accept fewer arguments than the spec names, so hooks grow
by adding arguments, never by changing them.

Write a plugin with :data:`mailplug.hookimpl` and the names of
:mod:`mailplug.plugin` (the plugin author's module)::

    from mailplug.plugin import hookimpl

    @hookimpl
    def mailplug_register_transports(register):
        register("carrier-pigeon", PigeonTransport.from_account)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .auth import AuthFactory
    from .check import Probe
    from .commands import Command
    from .errors import ErrorSpec, ServerReply
    from .events import StatusEvent
    from .importers import Importer
    from .models import Account
    from .outgoing import Outgoing
    from .presets import Preset
    from .reports import ReportParser
    from .sentfolder import SentCopier
    from .services import SecretStoreFactory
    from .text import CatalogFile, Text
    from .transport import TransportFactory

__all__ = ["hookimpl", "hookspec"]

PROJECT = "mailplug"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --------------------------------------------------------------------------
# Transport
# --------------------------------------------------------------------------


@hookspec
def mailplug_register_transports(register: Callable[[str, TransportFactory], None]) -> None:
    """Register transports: ways to deliver a composed message.

    Call ``register(name, factory)`` once per transport.  An account names
    its transport (``transport = "smtp"``); the factory is called with the
    account, its authenticator and the mailer's services, and must validate
    ``account.settings`` before returning.

    :param register: ``register(name, factory)``.  When two plugins register
        the same name the first wins (third-party plugins run before the
        built-ins, so they can replace them) and the other is logged.
    """


@hookspec(firstresult=True)
def mailplug_classify_reply(
    reply: ServerReply, stage: str, host: str | None, account: Account | None
) -> ErrorSpec | None:
    """Classify a mail server's reply before the built-in table does.

    Provider plugins use it for replies only they understand (Gmail's
    "Application-specific password required", Microsoft's 5.7.139).
    Stops at first non-None result.

    The core calls it once per refusal (every refused recipient, every
    failed step) and hands the result to the retry policy; transports report
    the reply and the stage, never their meaning.

    :param reply: the reply: code, enhanced status code, text.
    :param stage: the SMTP step that got it: ``connect``, ``ehlo``, ``starttls``,
        ``auth``, ``mail``, ``rcpt``, ``data`` or ``quit``.
    :param host: the server's host name.
    :param account: the account being used (``None`` for ``mailplug explain``).
    :returns: the error spec, or ``None`` to leave the reply to other plugins.
    """


@hookspec
def mailplug_register_probes(register: Callable[[str, Probe], None]) -> None:
    """Register account probes: the steps of ``mailplug accounts test``.

    A probe checks one side of an account without sending anything (connect,
    TLS, login, a dry ``MAIL FROM``…) and says which setting to change when a
    step fails.  Register it under a transport's name to probe the accounts
    of that transport, or under another name (``imap``) to run it for every
    account after the transport's probe.

    :param register: ``register(name, probe)`` with a :class:`mailplug.check.Probe`.
    """


# --------------------------------------------------------------------------
# Auth
# --------------------------------------------------------------------------


@hookspec
def mailplug_register_auth(register: Callable[[str, AuthFactory], None]) -> None:
    """Register login methods (``password``, ``gmail-oauth2`` …).

    An account names its method (``auth = "password"``); the factory is
    called with the account and the mailer's services.

    :param register: ``register(name, factory)``.
    """


# --------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------


@hookspec
def mailplug_register_storage(register: Callable[[str, Callable[..., object]], None]) -> None:
    """Register outbox implementations (where mail waits to be sent, and its history).

    The factory is called as ``factory(path_or_url, services=services)`` and
    returns an :class:`~mailplug.outbox.Outbox`.

    :param register: ``register(name, factory)``.
    """


@hookspec
def mailplug_register_secret_stores(register: Callable[[str, SecretStoreFactory], None]) -> None:
    """Register secret stores (tokens, passwords kept outside the settings file).

    :param register: ``register(name, factory)``; the factory takes ``services=``.
    """


# --------------------------------------------------------------------------
# Legacy-format import
# --------------------------------------------------------------------------


@hookspec
def mailplug_register_importers(register: Callable[[str, Importer], None]) -> None:
    """Register importers of mail and settings left by older programs.

    :param register: ``register(format_name, importer)``; the importer sniffs
        whether it can read a path and yields what it found.
    """


# --------------------------------------------------------------------------
# Delivery reports
# --------------------------------------------------------------------------


@hookspec
def mailplug_register_report_parsers(register: Callable[[str, ReportParser], None]) -> None:
    """Register parsers of delivery reports: bounces, read receipts, auto-replies.

    A parser gets a message from the account's inbox and returns a
    :class:`mailplug.reports.Report` when it recognises it (``None``
    otherwise).  Parsers run in pluggy's order (third-party plugins before
    the built-ins, so a plugin can recognise a provider's format first) and
    the first report wins.  Parsers report facts; the core classifies each
    failed recipient with :func:`mailplug_classify_reply` (stage ``rcpt``).

    :param register: ``register(name, parser)``; the first registration of a
        name wins.
    """


@hookspec
def mailplug_register_sent_copiers(register: Callable[[str, SentCopier], None]) -> None:
    """Register ways to save a copy of sent mail in the account's Sent folder.

    After delivery the core hands each sent message of an account whose
    ``imap.save_sent`` is on to the copier named ``imap`` (see
    :class:`mailplug.sentfolder.SentCopier`); a failed copy is retried later
    and never changes the message's delivery status.

    :param register: ``register(name, copier)``; the first registration of a
        name wins (a third-party plugin may replace the built-in one).
    """


# --------------------------------------------------------------------------
# Message translation
# --------------------------------------------------------------------------


@hookspec
def mailplug_register_catalogs(register: Callable[[str, CatalogFile], None]) -> None:
    """Register gettext ``.po`` catalogs.

    Catalogs registered first win for a message both define; built-in
    catalogs register last, so a plugin can correct or add a language.
    An error's message has its key as ``msgctxt``, its advice ``<key>.advice``.
    ``mailplug i18n check --plugin NAME`` judges the catalogs a plugin registers
    here against the messages it registers (a language with no code at all is a
    package in the ``mailplug.catalogs`` entry-point group instead).

    :param register: ``register(lang, po_file)`` with ``lang`` like ``"pl"``
        or ``"pt_BR"`` and a path or :mod:`importlib.resources` traversable.
    """


@hookspec
def mailplug_register_messages(register: Callable[[ErrorSpec | Text], None]) -> None:
    """Register the error keys and texts a plugin uses.

    They appear in ``mailplug explain``, in the ``.pot`` template and in
    ``mailplug i18n check``, so translators see every message.

    :param register: ``register(spec_or_text)``.
    """


# --------------------------------------------------------------------------
# Account presets
# --------------------------------------------------------------------------


@hookspec
def mailplug_register_presets(register: Callable[[Preset], None]) -> None:
    """Register provider presets: the servers and login method of a mail provider.

    ``mailplug accounts add --email ADDRESS`` fills an account from the preset
    whose domains include the address (or the one named with ``--provider``),
    and the account check uses them to suggest settings.  A company plugin can
    describe its own server.  When two plugins register the same id the first
    wins (third-party plugins run before the built-in table).

    :param register: ``register(preset)`` with a :class:`mailplug.presets.Preset`.
    """


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


@hookspec
def mailplug_register_commands(register: Callable[[Command], None]) -> None:
    """Register ``mailplug`` subcommands (``mailplug accounts authorize`` …).

    The command's handler gets a :class:`mailplug.commands.CommandContext`
    (language, output helpers, the mailer) and its parsed arguments, and
    returns a sysexits exit code.  A command whose group and name another
    plugin registered first is left out (and logged).

    :param register: ``register(command)`` with a :class:`mailplug.commands.Command`.
    """


# --------------------------------------------------------------------------
# Messages on their way
# --------------------------------------------------------------------------


@hookspec
def mailplug_before_send(outgoing: Outgoing) -> None:
    """A composed message is about to be stored in the outbox or sent now.

    Called once per message by ``enqueue``, ``enqueue_many``, ``enqueue_raw``
    and ``send``, after the message is composed (or the raw bytes checked) and
    before anything is stored — never again when the outbox sends it, so what
    is stored is what goes on the wire, and a retry sends the same bytes.
    Every implementation is called, in pluggy's order, each seeing the changes
    of the previous ones.  Called in the thread that composes (not the event
    loop's): keep it quick and do no network I/O.

    An implementation may add headers (``outgoing.add_header``), replace
    ``outgoing.data`` (CRLF line endings, the same Message-ID), change the
    envelope (``outgoing.set_recipients``), or refuse the message with
    ``outgoing.refuse(reason)``: the host's call then raises
    ``message.refused`` and nothing is stored.  Any other exception is reported
    as ``plugin.before_send_failed`` and nothing is stored either.  A big
    message is ``outgoing.body``, a :class:`~mailplug.body.Body` read in
    chunks: ``header`` and ``add_header`` never read it whole, reading
    ``outgoing.data`` does.

    :param outgoing: the account, the envelope and the bytes.
    """


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------


@hookspec
def mailplug_message_status(event: StatusEvent) -> None:
    """A message changed status (queued, sent, deferred, failed …).

    Called in the mailer's event loop thread; keep it quick (hand the event
    to a UI queue).  Exceptions are logged and ignored.

    :param event: what changed: the subject, the recipients and, when it is a
        problem, the stored error (render it with ``mailer.reason(event.error)``).
    """
