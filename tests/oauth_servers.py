"""A loopback stand-in for the OAuth services tests cannot reach (Google, Microsoft).

:class:`FakeOAuthServer` is an authorization endpoint and a token endpoint on
127.0.0.1 (stdlib ``http.server`` in a thread) speaking Google's wire format:
the authorization endpoint checks the request (client_id, redirect_uri, PKCE
S256, scope, state) and "consents" by redirecting the browser back with
``code`` and ``state``; the token endpoint takes form-encoded POSTs, checks the
PKCE verifier against the challenge and answers JSON (``access_token``,
``expires_in``, ``token_type``, optional ``refresh_token``) or HTTP 400
``{"error": "invalid_grant", "error_description": "Token has been expired or revoked."}``.

The Gmail-like XOAUTH2 SMTP side is ``tests/smtp_server.py`` (``xoauth2=checker``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

INVALID_GRANT = {
    "error": "invalid_grant",
    "error_description": "Token has been expired or revoked.",
}


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class TokenRequest:
    """One request the token endpoint received (the test may inspect it)."""

    path: str
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeOAuthServer:
    """Authorization + token endpoints on 127.0.0.1.

    :ivar client_id: the only client it knows.
    :ivar client_secret: required from the client when set.
    :ivar scope: the scope the authorization request must ask for.
    :ivar expires_in: lifetime of issued access tokens.
    :ivar rotate: issue a new refresh token on every refresh (Microsoft does).
    :ivar fail_next: scripted answers ``(status, body)`` used before normal handling.
    :ivar deny: the "user" presses Cancel (``error=access_denied``).
    """

    client_id: str = "test-client.apps.googleusercontent.com"
    client_secret: str | None = None
    scope: str = "https://mail.google.com/"
    expires_in: int = 3599
    rotate: bool = False
    deny: bool = False
    fail_next: list[tuple[int, Any]] = field(default_factory=list)
    #: Whose tokens these are: the ``email`` the introspection endpoint answers (RFC 7662).
    subject: str | None = None
    #: Tokens the introspection endpoint was asked about (Dovecot's oauth2 passdb asks).
    introspected: list[str] = field(default_factory=list)
    requests: list[TokenRequest] = field(default_factory=list)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    valid_refresh_tokens: set[str] = field(default_factory=set)
    valid_access_tokens: set[str] = field(default_factory=set)
    #: Every token handed out, revoked or not (to check none leaks into logs).
    issued: list[str] = field(default_factory=list)
    _codes: dict[str, dict[str, str]] = field(default_factory=dict)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- lifetime -----------------------------------------------------------

    def start(self) -> FakeOAuthServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server._authorize(self)

            def do_POST(self) -> None:
                if urlsplit(self.path).path == "/introspect":
                    server._introspect(self)
                else:
                    server._token(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    @property
    def base(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return int(self._httpd.server_address[1])

    # -- test helpers -------------------------------------------------------

    def issue_refresh_token(self) -> str:
        token = "1//rt-" + secrets.token_urlsafe(24)
        with self._lock:
            self.valid_refresh_tokens.add(token)
            self.issued.append(token)
        return token

    def revoke_all(self) -> None:
        """What a password change or "Remove access" in the Google account does."""
        with self._lock:
            self.valid_refresh_tokens.clear()
            self.valid_access_tokens.clear()

    def expire_access_tokens(self) -> None:
        """The server stops accepting the access tokens issued so far."""
        with self._lock:
            self.valid_access_tokens.clear()

    def grants(self, grant_type: str) -> list[TokenRequest]:
        return [r for r in self.requests if r.form.get("grant_type") == grant_type]

    # -- endpoints ----------------------------------------------------------

    def _send_json(self, handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        if isinstance(body, (dict, list)):
            payload = json.dumps(body).encode()
            ctype = "application/json; charset=utf-8"
        else:
            payload = str(body).encode()
            ctype = "text/html; charset=UTF-8"
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
        handler.end_headers()
        handler.wfile.write(payload)

    def _authorize(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.authorize_requests.append(query)
        problems = []
        if query.get("response_type") != "code":
            problems.append("response_type")
        if query.get("client_id") != self.client_id:
            problems.append("client_id")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            problems.append("pkce")
        if query.get("scope") != self.scope:
            problems.append("scope")
        redirect = query.get("redirect_uri", "")
        if not redirect.startswith(("http://127.0.0.1:", "http://localhost:")):
            problems.append("redirect_uri")
        if not query.get("state"):
            problems.append("state")
        if problems:
            self._send_json(handler, 400, f"Error 400: invalid_request ({', '.join(problems)})")
            return
        if self.deny:
            params = {"error": "access_denied", "state": query["state"]}
        else:
            code = "4/0A" + secrets.token_urlsafe(24)
            with self._lock:
                self._codes[code] = {
                    "challenge": query["code_challenge"],
                    "redirect_uri": redirect,
                }
            params = {"code": code, "scope": self.scope, "state": query["state"]}
        handler.send_response(302)
        handler.send_header("Location", f"{redirect}?{urlencode(params)}")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _token(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode("utf-8")
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        request = TokenRequest(urlsplit(handler.path).path, form, dict(handler.headers.items()))
        with self._lock:
            self.requests.append(request)
            scripted = self.fail_next.pop(0) if self.fail_next else None
        if scripted is not None:
            self._send_json(handler, *scripted)
            return
        if handler.headers.get("Content-Type", "").split(";")[0] != (
            "application/x-www-form-urlencoded"
        ):
            self._send_json(handler, 400, {"error": "invalid_request"})
            return
        if form.get("client_id") != self.client_id or (
            self.client_secret is not None and form.get("client_secret") != self.client_secret
        ):
            self._send_json(
                handler,
                401,
                {"error": "invalid_client", "error_description": "The OAuth client was not found."},
            )
            return
        grant = form.get("grant_type")
        if grant == "authorization_code":
            with self._lock:
                issued = self._codes.pop(form.get("code", ""), None)
            if (
                issued is None
                or issued["redirect_uri"] != form.get("redirect_uri")
                or s256(form.get("code_verifier", "")) != issued["challenge"]
            ):
                self._send_json(
                    handler, 400, {"error": "invalid_grant", "error_description": "Bad Request"}
                )
                return
            self._send_json(handler, 200, self._tokens(new_refresh=True))
        elif grant == "refresh_token":
            with self._lock:
                known = form.get("refresh_token") in self.valid_refresh_tokens
                if known and self.rotate:
                    self.valid_refresh_tokens.discard(form["refresh_token"])
            if not known:
                self._send_json(handler, 400, INVALID_GRANT)
                return
            self._send_json(handler, 200, self._tokens(new_refresh=self.rotate))
        else:
            self._send_json(handler, 400, {"error": "unsupported_grant_type"})

    def _introspect(self, handler: BaseHTTPRequestHandler) -> None:
        """RFC 7662 token introspection: ``token=…`` form POST → ``{"active": …, "email": …}``."""
        length = int(handler.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(handler.rfile.read(length).decode()).items()}
        token = form.get("token", "")
        with self._lock:
            self.introspected.append(token)
            active = token in self.valid_access_tokens
        body: dict[str, Any] = {"active": active}
        if active:
            body.update({"email": self.subject, "scope": self.scope, "token_type": "Bearer"})
        self._send_json(handler, 200, body)

    def _tokens(self, *, new_refresh: bool) -> dict[str, Any]:
        access = "ya29.a0" + secrets.token_urlsafe(32)
        with self._lock:
            self.valid_access_tokens.add(access)
            self.issued.append(access)
        body: dict[str, Any] = {
            "access_token": access,
            "expires_in": self.expires_in,
            "scope": self.scope,
            "token_type": "Bearer",
        }
        if new_refresh:
            body["refresh_token"] = self.issue_refresh_token()
        return body


def gmail_account(server: FakeOAuthServer, **auth_settings: Any) -> dict[str, Any]:
    """A Gmail account whose OAuth endpoints are ``server`` (extra ``auth_settings`` merged)."""
    return {
        "name": "gmail",
        "email": "jan.kowalski@gmail.com",
        "transport": "memory",
        "auth": "gmail-oauth2",
        "auth_settings": {
            "client_id": server.client_id,
            "authorization_endpoint": f"{server.base}/o/oauth2/v2/auth",
            "token_endpoint": f"{server.base}/token",
            **auth_settings,
        },
    }
