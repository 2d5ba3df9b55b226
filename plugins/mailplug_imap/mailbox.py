"""One IMAP session on the account's inbox: find unprocessed reports, fetch them, flag them.

Built on IMAPClient (BSD licence, maintained since 2008, STARTTLS, XOAUTH2,
SPECIAL-USE and IDLE), whose calls block: every call of :class:`Mailbox`
runs in a worker thread (:func:`asyncio.to_thread`), one boundary, so the
event loop never waits on the network.  TLS is verified as for SMTP: the
account's ``ca_file`` and ``min_tls`` (:func:`mailplug_imap.probe.tls_context`).
Library errors are mapped to the IMAP keys here, with ``from exc``.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from mailplug.plugin import Data, MailplugError, as_bytes
from mailplug.plugin import keys as core_keys

from . import keys
from .probe import tls_context

if TYPE_CHECKING:
    from imapclient import IMAPClient

    from mailplug.plugin import Account, Credentials, ImapSettings

__all__ = ["PROCESSED", "Mailbox"]

T = TypeVar("T")

#: The keyword put on reports already recorded (RFC 3501 keywords need no setup).
PROCESSED = b"$MailplugProcessed"
#: Bytes of one message fetched at most: the report and returned headers come first.
MAX_FETCH = 2_000_000


class Mailbox:
    """An open, logged-in IMAP session on one folder (blocking methods: call via :meth:`run`)."""

    def __init__(self, account: Account, imap: ImapSettings, *, timeout: float = 30.0) -> None:
        self.account = account
        self.imap = imap
        self.timeout = timeout
        self.client: IMAPClient | None = None
        self.keywords = True  # the folder accepts our keyword (else \\Seen marks processed)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking method in a worker thread, mapping library errors to our keys."""
        return await asyncio.to_thread(self._mapped, fn, *args)

    def _mapped(self, fn: Callable[..., T], *args: Any) -> T:
        from imapclient.exceptions import IMAPClientError, LoginError

        common: dict[str, Any] = {"host": self.imap.host, "port": self.imap.port}
        try:
            return fn(*args)
        except MailplugError:
            raise
        except LoginError as exc:
            raise keys.IMAP_LOGIN_FAILED.error(
                host=self.imap.host, username=self.imap.username or "", cause=exc
            ) from exc
        except ssl.SSLError as exc:
            raise keys.IMAP_TLS_FAILED.error(**common, problem=str(exc), cause=exc) from exc
        except socket.gaierror as exc:
            raise keys.IMAP_HOST_NOT_FOUND.error(host=self.imap.host, cause=exc) from exc
        except TimeoutError as exc:
            raise keys.IMAP_TIMEOUT.error(**common, cause=exc) from exc
        except (OSError, IMAPClientError) as exc:
            raise keys.IMAP_CONNECT_FAILED.error(**common, problem=str(exc), cause=exc) from exc

    # -- blocking ----------------------------------------------------------------

    def open(self, credentials: Credentials, folder: str) -> None:
        self.login(credentials)
        self.select(folder)

    def login(self, credentials: Credentials) -> None:
        """Connect (TLS as the settings say) and log in (password or XOAUTH2)."""
        from imapclient import IMAPClient

        context = None if self.imap.security == "none" else tls_context(self.account)
        client = IMAPClient(
            self.imap.host,
            port=self.imap.port,
            ssl=self.imap.security == "tls",
            ssl_context=context,
            timeout=self.timeout,
            use_uid=True,
        )
        self.client = client
        if self.imap.security == "starttls":
            client.starttls(context)
        username = self.imap.username or credentials.username
        secret = credentials.secret.get_secret_value()
        if (credentials.mechanism or "").upper() == "XOAUTH2":
            client.oauth2_login(username, secret)
        else:
            client.login(username, secret)

    def select(self, folder: str) -> None:
        selected = self._client().select_folder(folder)
        # "\*" in PERMANENTFLAGS: the folder keeps keywords we invent (RFC 3501 §7.1).
        self.keywords = b"\\*" in tuple(selected.get(b"PERMANENTFLAGS", ()))

    def unprocessed(self, limit: int) -> list[int]:
        """UIDs of messages not yet marked processed (newest last), at most ``limit``."""
        client = self._client()
        criteria = ["UNKEYWORD", PROCESSED] if self.keywords else ["UNSEEN"]
        uids: list[int] = sorted(client.search(criteria))
        return uids[-limit:]

    def fetch(self, uids: Sequence[int]) -> dict[int, bytes]:
        """The raw messages (at most :data:`MAX_FETCH` bytes each), without setting \\Seen."""
        if not uids:
            return {}
        part = f"BODY.PEEK[]<0.{MAX_FETCH}>"
        found = self._client().fetch(list(uids), [part])
        out: dict[int, bytes] = {}
        for uid, data in found.items():
            body = next((v for k, v in data.items() if k.startswith(b"BODY[]")), b"")
            out[int(uid)] = bytes(body or b"")
        return out

    def mark(self, uids: Sequence[int], move_to: str | None) -> None:
        """Flag processed reports (and move them when asked)."""
        if not uids:
            return
        client = self._client()
        client.add_flags(list(uids), [PROCESSED if self.keywords else b"\\Seen"])
        if move_to:
            if not client.folder_exists(move_to):
                client.create_folder(move_to)
            client.move(list(uids), move_to)

    def idle_wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for new mail with IDLE (RFC 2177); ``False`` without IDLE."""
        client = self._client()
        if b"IDLE" not in client.capabilities():
            return False
        client.idle()
        try:
            client.idle_check(timeout=seconds)
        finally:
            client.idle_done()
        return True

    def append(self, folder: str, data: bytes, flags: Sequence[bytes] = ()) -> None:
        self._client().append(folder, data, flags=list(flags))

    # -- the Sent folder -----------------------------------------------------------

    def sent_folder(self, configured: str | None) -> str:
        """The folder for copies of sent mail: the one set in the settings, else the one
        the server marks ``\\Sent`` (SPECIAL-USE, RFC 6154; Gmail's older XLIST).  Never
        guessed from a name.

        :raises MailplugError: ``imap.sent.folder_missing`` (the set one does not exist),
            ``imap.sent.no_folder`` (none set, none marked).
        """
        client = self._client()
        if configured:
            if not client.folder_exists(configured):
                raise keys.IMAP_SENT_FOLDER_MISSING.error(host=self.imap.host, folder=configured)
            return configured
        listings = [client.list_folders]
        if b"XLIST" in client.capabilities():
            listings.append(client.xlist_folders)
        for listing in listings:
            for flags, _, name in listing():
                if any(bytes(f).lower() == b"\\sent" for f in flags):
                    return str(name)
        raise keys.IMAP_SENT_NO_FOLDER.error(host=self.imap.host)

    def save_once(self, folder: str, data: Data, message_id: str, at: datetime) -> bool:
        """APPEND ``data`` to the selected ``folder`` with ``\\Seen`` and ``at`` as its
        INTERNALDATE, unless a message with that Message-ID is there already (a try
        whose answer was lost).  Returns whether it saved a copy now.

        IMAPClient sends an APPEND literal from memory: a big message
        (:class:`~mailplug.body.Body`) is read whole here, in this worker thread, for
        the time of its APPEND only.

        :raises MailplugError: ``imap.sent.quota`` (mailbox full), ``imap.sent.refused``.
        """
        from imapclient.exceptions import IMAPClientError

        client = self._client()
        if message_id and client.search(["HEADER", "Message-ID", message_id]):
            return False
        try:
            client.append(folder, as_bytes(data), flags=[b"\\Seen"], msg_time=at)
        except IMAPClientError as exc:
            problem = str(exc)
            if "OVERQUOTA" in problem.upper() or "QUOTA" in problem.upper():
                raise keys.IMAP_SENT_QUOTA.error(host=self.imap.host, cause=exc) from exc
            if "TRYCREATE" in problem.upper():
                raise keys.IMAP_SENT_FOLDER_MISSING.error(
                    host=self.imap.host, folder=folder, cause=exc
                ) from exc
            raise keys.IMAP_SENT_REFUSED.error(
                host=self.imap.host, folder=folder, problem=problem, cause=exc
            ) from exc
        return True

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                client.logout()
            except Exception:  # the session is being dropped anyway
                client.shutdown()

    def _client(self) -> IMAPClient:
        if self.client is None:
            raise core_keys.ACCOUNT_SETTINGS_PROBLEM.error(problem="IMAP session is not open")
        return self.client
