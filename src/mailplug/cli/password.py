"""``mailplug accounts password NAME``: store a password without echo, never in the file."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime

from pydantic import SecretStr

from ..commands import EX_DATAERR, EX_OK
from ..keys import SECRET_STORE_MISSING
from ..texts import PASSWORD_EMPTY, PASSWORD_PROMPT, PASSWORD_STORED
from ._base import Context, command


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="account name")
    p.add_argument(
        "--stdin", action="store_true", help="read the password from standard input (scripts)"
    )


@command(
    "password",
    group="accounts",
    help="store an account's password (typed without echo) in the secret store",
    arguments=_args,
)
def accounts_password(ctx: Context, args: argparse.Namespace) -> int:
    mailer = ctx.mailer(outbox=None)
    account = mailer.account(args.name)  # account.not_configured before asking anything
    if args.stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        value = getpass.getpass(ctx.t(PASSWORD_PROMPT, name=account.name))
    if not value:
        ctx.err.write(ctx.t(PASSWORD_EMPTY) + "\n")
        return EX_DATAERR
    store = ctx.run(mailer.secrets())
    if store is None:
        raise mailer.localize(SECRET_STORE_MISSING.error())
    meta = {"stored_at": datetime.now(UTC).isoformat(timespec="seconds")}
    ctx.run(store.set(account.name, "password", SecretStr(value), meta=meta))
    ctx.print(ctx.t(PASSWORD_STORED, name=account.name, store=type(store).__name__))
    return EX_OK
