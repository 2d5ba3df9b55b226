"""The installed-app authorization flow (RFC 8252): consent once in the browser.

1. A one-shot HTTP listener starts on ``127.0.0.1`` with an ephemeral port.
2. A random ``state`` and a PKCE ``code_verifier`` (S256) are made; the
   authorization URL names the loopback address as ``redirect_uri``.
3. The browser is opened (or the URL printed); the user signs in and the
   provider redirects the browser to the loopback address with ``code`` and
   ``state``.
4. The code is exchanged for tokens at the token endpoint.

**Wrong state.**  A redirect whose ``state`` does not match is answered with
HTTP 400 and otherwise ignored: the flow keeps waiting for the genuine one, so
a stray or forged request cannot abort the user's real sign-in.  If the time
runs out after such a request, the error is ``oauth.state_mismatch`` (not a
plain timeout), so the user learns why.  A redirect with the right state and
an ``error`` parameter (the user pressed "Cancel") ends the flow at once with
``oauth.access_denied``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from mailplug.plugin import Text

from . import keys, texts

if TYPE_CHECKING:
    from .tokens import TokenClient, TokenSet

__all__ = ["LoopbackRedirect", "authorize", "new_code_verifier", "new_state"]

log = logging.getLogger("mailplug.oauth")

_MAX_REQUEST = 16 * 1024
_READ_TIMEOUT = 10.0


def new_state() -> str:
    """An unguessable ``state`` value (256 bits)."""
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    """A PKCE ``code_verifier``: 86 characters from the unreserved set (RFC 7636 §4.1)."""
    return secrets.token_urlsafe(64)


@dataclass
class _Outcome:
    code: str | None = None
    error: str | None = None


class LoopbackRedirect:
    """A one-shot HTTP listener on 127.0.0.1 that waits for the provider's redirect.

    :param state: the expected ``state``.
    :param host_name: the host written in the redirect address (``127.0.0.1``
        or ``localhost``); the listener always binds to 127.0.0.1 only.
    :param port: a fixed port, or 0 for a free one.
    :param page: renders a :class:`~mailplug.plugin.Text` for the browser page.
    :param account: the account name, for error messages.
    """

    def __init__(
        self,
        state: str,
        *,
        host_name: str = "127.0.0.1",
        port: int = 0,
        page: Callable[[Text], str] = lambda t: t.msgid,
        account: str | None = None,
    ) -> None:
        self._state = state
        self._account = account
        self._host_name = host_name
        self._port = port
        self._page = page
        self._server: asyncio.Server | None = None
        self._result: asyncio.Future[_Outcome] | None = None
        #: Requests refused for a wrong or missing ``state``.
        self.rejected = 0

    @property
    def redirect_uri(self) -> str:
        if self._server is None:
            raise RuntimeError("the listener is not started")
        port = self._server.sockets[0].getsockname()[1]
        return f"http://{self._host_name}:{port}/"

    async def __aenter__(self) -> LoopbackRedirect:
        self._result = asyncio.get_running_loop().create_future()
        try:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self._port)
        except OSError as exc:
            raise keys.REDIRECT_UNAVAILABLE.error(
                host=f"127.0.0.1:{self._port}", problem=exc.strerror or str(exc), cause=exc
            ) from exc
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    async def wait(self, seconds: float) -> _Outcome:
        """The redirect's outcome, waiting at most ``seconds``.

        :raises mailplug.AuthenticationError: ``oauth.state_mismatch`` or
            ``oauth.authorization_timeout`` when no genuine redirect came.
        """
        assert self._result is not None
        try:
            return await asyncio.wait_for(asyncio.shield(self._result), seconds)
        except TimeoutError:
            if self.rejected:
                raise keys.STATE_MISMATCH.error(account=self._account) from None
            raise keys.AUTHORIZATION_TIMEOUT.error(
                seconds=f"{seconds:g}", account=self._account
            ) from None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, body = await asyncio.wait_for(self._request(reader), _READ_TIMEOUT)
        except (TimeoutError, ValueError, ConnectionError, asyncio.IncompleteReadError):
            status, body = 400, ""
        try:
            payload = self._html(body).encode("utf-8")
            reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Not Allowed"}[status]
            writer.write(
                f"HTTP/1.1 {status} {reason}\r\n"
                "Content-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {len(payload)}\r\n"
                "Cache-Control: no-store\r\n"
                "Connection: close\r\n\r\n".encode("ascii")
                + payload
            )
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _request(self, reader: asyncio.StreamReader) -> tuple[int, str]:
        request_line = await reader.readline()
        size = len(request_line)
        while True:  # headers: read and drop (bounded)
            line = await reader.readline()
            size += len(line)
            if size > _MAX_REQUEST:
                raise ValueError("request too large")
            if line in (b"\r\n", b"\n", b""):
                break
        parts = request_line.decode("latin-1").split()
        if len(parts) != 3:
            return 400, ""
        method, target, _ = parts
        if method != "GET":
            return 405, ""
        url = urlsplit(target)
        if url.path != "/":
            return 404, ""  # the browser's /favicon.ico and the like
        query = parse_qs(url.query)
        state = query.get("state", [""])[0]
        assert self._result is not None
        if not hmac.compare_digest(state.encode(), self._state.encode()):
            self.rejected += 1
            log.warning("sign-in redirect with a wrong or missing state rejected")
            return 400, self._page(texts.PAGE_WRONG_STATE)
        if self._result.done():
            return 200, self._page(texts.PAGE_DONE)
        if "error" in query:
            self._result.set_result(_Outcome(error=query["error"][0]))
            return 200, self._page(texts.PAGE_DENIED)
        code = query.get("code", [""])[0]
        if not code:
            return 400, self._page(texts.PAGE_WRONG_STATE)
        self._result.set_result(_Outcome(code=code))
        return 200, self._page(texts.PAGE_DONE)

    def _html(self, body: str) -> str:
        title = html.escape(self._page(texts.PAGE_TITLE))
        return (
            f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><p>{html.escape(body)}</p></body></html>"
        )


async def authorize(
    client: TokenClient,
    *,
    open_browser: Callable[[str], object] | None,
    on_url: Callable[[str, bool], None] | None = None,
    wait_seconds: float = 300.0,
    login_hint: str | None = None,
    page: Callable[[Text], str] = lambda t: t.msgid,
) -> TokenSet:
    """Run the whole flow and return the tokens (the caller stores them).

    :param client: token client of the account.
    :param open_browser: called with the URL in a background thread (e.g.
        :func:`webbrowser.open`); ``None`` only reports the URL.
    :param on_url: told the URL and whether a browser is being opened, so the
        caller can print it.
    :param wait_seconds: how long to wait for the redirect.
    :param page: renders the texts of the small page the browser shows at the end.
    :raises mailplug.MailplugError: ``oauth.state_mismatch``,
        ``oauth.authorization_timeout``, ``oauth.access_denied`` or a token
        endpoint error.
    """
    settings = client.settings
    state, verifier = new_state(), new_code_verifier()
    async with LoopbackRedirect(
        state,
        host_name=settings.redirect_host,
        port=settings.redirect_port,
        page=page,
        account=client.account,
    ) as redirect:
        url = await client.authorization_url(
            redirect_uri=redirect.redirect_uri,
            state=state,
            code_verifier=verifier,
            login_hint=login_hint,
        )
        if on_url is not None:
            on_url(url, open_browser is not None)
        if open_browser is not None:
            # A console browser (lynx) may block its thread; the flow must not wait for it.
            import threading

            threading.Thread(
                target=open_browser, args=(url,), name="mailplug-browser", daemon=True
            ).start()
        log.info(
            "waiting up to %gs for the sign-in redirect on %s", wait_seconds, redirect.redirect_uri
        )
        outcome = await redirect.wait(wait_seconds)
        redirect_uri = redirect.redirect_uri
    if outcome.error is not None:
        raise keys.ACCESS_DENIED.error(account=client.account, error=outcome.error)
    assert outcome.code is not None
    return await client.exchange_code(
        code=outcome.code, redirect_uri=redirect_uri, code_verifier=verifier
    )
