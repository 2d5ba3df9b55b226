"""``mailplug accounts authorize NAME``: consent once in the browser, keep the permission.

After a successful authorization the account is resumed in the outbox, so the
mail an expired or revoked permission held back goes out with the next flush.
``mailplug accounts show NAME`` prints the token's age and state through the
authenticator's ``adescribe()``.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from mailplug.plugin import EX_OK, Command, CommandContext, MailplugError

from . import keys, texts

__all__ = ["AUTHORIZE"]

log = logging.getLogger("mailplug.oauth")


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="account name")
    p.add_argument(
        "--no-browser",
        action="store_true",
        help="do not open a browser; print the address to open on any device of yours",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="seconds to wait for the sign-in in the browser (default 300)",
    )


def authorize(ctx: CommandContext, args: argparse.Namespace) -> int:
    import webbrowser

    from .authenticator import OAuth2Authenticator

    mailer = ctx.mailer()
    account = mailer.account(args.name)
    auth = ctx.run(mailer.authenticator(account))
    if not isinstance(auth, OAuth2Authenticator):
        raise keys.NOT_OAUTH_ACCOUNT.error(account=account.name, auth=account.auth or "none")
    # With --json, stdout carries only the JSON result; the instructions go to stderr.
    stream = ctx.err if ctx.json else ctx.out
    provider, username = auth.settings.provider.title, auth.settings.username

    def on_url(url: str, opening: bool) -> None:
        if opening:
            lines = [
                ctx.t(texts.OPENING_BROWSER, provider=provider, username=username),
                ctx.t(texts.IF_NOT_OPENED),
            ]
        else:
            lines = [ctx.t(texts.OPEN_THIS_URL, provider=provider, username=username)]
        lines += ["", url, "", ctx.t(texts.WAITING, seconds=f"{args.timeout:g}")]
        stream.write("\n".join(lines) + "\n")
        stream.flush()

    result = ctx.run(
        auth.authorize(
            open_browser=None if args.no_browser else webbrowser.open,
            on_url=on_url,
            wait_seconds=args.timeout,
            lang=ctx.lang,
        )
    )
    resumed = ctx.run(_resume(mailer, account.name))
    if ctx.json:
        ctx.print_json(
            {
                "account": account.name,
                "authorized": True,
                "resumed": resumed,
                "auth_state": result,
            }
        )
    else:
        ctx.print(
            ctx.t(texts.AUTHORIZED, account=account.name, store=result.get("secret_store") or "-")
        )
        if resumed:
            ctx.print(ctx.t(texts.RESUMED))
    return EX_OK


async def _resume(mailer: Any, account: str) -> bool:
    """Lift the outbox pause an expired or revoked permission caused."""
    try:
        return bool(await mailer.resume_account(account))
    except MailplugError as exc:  # no outbox installed or readable: nothing was paused there
        log.info("outbox not resumed for account %s: %s", account, exc.key)
        return False


AUTHORIZE = Command(
    "authorize",
    group="accounts",
    help="sign in once in the browser (OAuth: Gmail, Microsoft 365) and keep the permission",
    handler=authorize,
    arguments=_arguments,
)
