"""Account commands of the check: ``accounts test`` (the step-by-step probe) and ``accounts add``.

``mailplug accounts test NAME [--rcpt ADDRESS] [--json]`` runs
:meth:`mailplug.AsyncMailer.check_account`; the exit code is 0 when every
step passed, else the sysexits code of the first failure.

``mailplug accounts add --email ADDRESS [--name N] [--provider P] [--host H]
[--yes] [--json]`` fills server, port, security and login method from the
provider presets, shows them, asks to save, edit or cancel (``--yes``,
``--json`` and a non-interactive standard input accept), and writes the
accounts file (owner-only permissions).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import check_keys as ck
from ._base import EX_OK, EX_USAGE, Context, command, exit_code_for

if TYPE_CHECKING:
    from ..errors import Text
    from ..plugins import Plugins
    from ..presets import Preset

# --------------------------------------------------------------------------
# accounts test
# --------------------------------------------------------------------------


def _test_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="account name")
    p.add_argument(
        "--rcpt",
        metavar="ADDRESS",
        help="also ask the server whether it takes mail for ADDRESS (MAIL FROM/RCPT TO, then "
        "RSET: nothing is sent)",
    )
    p.add_argument("--timeout", type=float, default=10.0, help="seconds for each step")
    p.add_argument(
        "--require-version", metavar="SPEC", help="the mailplug version the program needs"
    )


@command(
    "test",
    group="accounts",
    help="check an account step by step and say which setting to change",
    arguments=_test_args,
)
def accounts_test(ctx: Context, args: argparse.Namespace) -> int:
    mailer = ctx.mailer(outbox=None)
    options: dict[str, Any] = {"timeout": args.timeout, "probe_timeout": min(3.0, args.timeout)}
    if args.require_version:
        options["require"] = args.require_version
    report = ctx.run(mailer.check_account(args.name, rcpt=args.rcpt, **options))
    if ctx.json:
        ctx.print_json(report.to_dict(ctx.lang))
    else:
        ctx.print(report.render(ctx.lang))
    failure = report.failure
    if failure is None or failure.error is None:
        return EX_OK
    return exit_code_for(failure.error)


# --------------------------------------------------------------------------
# accounts add
# --------------------------------------------------------------------------


def _add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--email", required=True, help="the address to send from")
    p.add_argument("--name", help="account name (default: the address)")
    p.add_argument(
        "--provider",
        help="provider preset (e.g. google-workspace, microsoft365, home-pl); "
        "default: found from the address",
    )
    p.add_argument("--host", help="SMTP server (needed for hosting providers: your own server)")
    p.add_argument("--port", type=int, help="SMTP port")
    p.add_argument(
        "--security",
        type=str.lower,
        choices=("tls", "ssl", "starttls", "none"),
        help="SMTP security (ssl: the same as tls)",
    )
    p.add_argument(
        "--yes", "-y", action="store_true", help="save without asking (also without a terminal)"
    )


#: The security each well-known submission port speaks (RFC 8314: 465 implicit TLS).
_PORT_SECURITY = {465: "tls", 587: "starttls"}


def _warn_port_mismatch(ctx: Context, smtp: dict[str, Any]) -> None:
    """Warn about 587 with ``tls`` or 465 with ``starttls``: saved, but it will not connect."""
    port, security = smtp.get("port"), smtp.get("security")
    expected = _PORT_SECURITY.get(port) if isinstance(port, int) else None
    if expected is not None and security in _PORT_SECURITY.values() and security != expected:
        ctx.err.write(
            ctx.t(ck.ADD_PORT_MISMATCH, port=port, security=security, expected=expected) + "\n"
        )


def _answers(ctx: Context, text: Text) -> set[str]:
    return {a.strip().lower() for a in ctx.t(text).split(",") if a.strip()} | {
        a.strip() for a in text.msgid.split(",")
    }


def _describe(ctx: Context, data: dict[str, Any], preset: Preset | None) -> list[str]:

    lines: list[str] = []
    if preset is not None:
        lines.append(ctx.t(ck.ADD_PROVIDER, name=preset.name, id=preset.id))
    else:
        lines.append(ctx.t(ck.ADD_NO_PRESET))
    lines.append(ctx.t(ck.ADD_ACCOUNT, name=data["name"], email=data["email"]))
    smtp = data["settings"]
    lines.append(ctx.t(ck.ADD_SMTP, **smtp))
    if data.get("imap"):
        lines.append(ctx.t(ck.ADD_IMAP, **data["imap"]))
    username = (data.get("auth_settings") or {}).get("username", data["email"])
    lines.append(ctx.t(ck.ADD_LOGIN, username=username, auth=data.get("auth") or "none"))
    if preset is not None:
        lines += _notes(ctx, preset)
        lines.append(ctx.t(ck.ADD_SOURCE, source=preset.source))
        if not preset.verified:
            # The research note (basis, English) stays in --json; the sentence has no English.
            lines.append(ctx.t(ck.ADD_UNVERIFIED))
    return lines


def _notes(ctx: Context, preset: Preset) -> list[str]:
    from ..presets import NOTES

    return [
        ctx.t(NOTES[n], provider=preset.name, example=preset.host_example or "")
        for n in preset.notes
        if n in NOTES
    ]


_EDITABLE: list[tuple[str, Callable[[str], Any]]] = [
    ("settings.host", str),
    ("settings.port", int),
    ("settings.security", str),
    ("auth", str),
    ("auth_settings.username", str),
    ("imap.host", str),
    ("imap.port", int),
    ("imap.security", str),
]
_SECURITY = ("tls", "starttls", "none")


def _get(data: dict[str, Any], path: str) -> Any:
    head, _, tail = path.partition(".")
    if not tail:
        return data.get(head)
    return (data.get(head) or {}).get(tail)


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    head, _, tail = path.partition(".")
    if not tail:
        data[head] = value
        return
    data.setdefault(head, {})[tail] = value


def _edit(ctx: Context, data: dict[str, Any]) -> None:
    for path, convert in _EDITABLE:
        if path.startswith("imap.") and not data.get("imap"):
            continue
        current = _get(data, path)
        if path == "auth_settings.username" and current is None:
            current = data["email"]
        label = ctx.t(ck.SETTING_LABELS[path])
        while True:
            raw = input(ctx.t(ck.ADD_EDIT_FIELD, label=label, value=current or "")).strip()
            if not raw:
                break
            try:
                value = convert(raw)
                if path.endswith(".security") and value not in _SECURITY:
                    raise ValueError("tls, starttls, none")
                if path.endswith(".port") and not 0 < value < 65536:
                    raise ValueError("1-65535")
            except ValueError as exc:
                ctx.err.write(ctx.t(ck.ADD_INVALID_VALUE, value=raw, problem=exc) + "\n")
                continue
            _set(data, path, value)
            break


def _password_env(plugins: Plugins, auth: str, name: str) -> str:
    """The environment variable the login method reads the password from.

    A password login's factory says so itself (``factory.password_env(name)``);
    the core knows no login method by name.
    """
    hint = getattr(plugins.auth.get(auth), "password_env", None)
    if callable(hint):
        return str(hint(name))
    return "MAILPLUG_PASSWORD_" + "".join(c if c.isalnum() else "_" for c in name).upper()


@command(
    "add",
    group="accounts",
    help="add an account: server, port, security and login method from the provider presets",
    arguments=_add_args,
)
def accounts_add(ctx: Context, args: argparse.Namespace) -> int:
    from ..config import Config, save_config
    from ..models import Account, Address
    from ..plugins import Plugins

    email = Address.parse(args.email, field="email").email
    plugins = Plugins()
    presets = plugins.presets
    preset = presets.get(args.provider) if args.provider else presets.for_address(email)
    interactive = not (args.yes or ctx.json) and sys.stdin.isatty()
    host = args.host
    if preset is None and not host:
        domain = email.rpartition("@")[2]
        if not interactive:
            raise ck.PRESET_NOT_FOUND.error(domain=domain, available=", ".join(presets.ids()))
        # No preset for this domain: ask for the server (port and security can be
        # edited at the confirmation below) instead of giving up.
        while not host:
            host = input(ctx.t(ck.ADD_HOST_PROMPT, example=f"smtp.{domain}")).strip()
    if preset is not None and preset.per_customer and not host:
        if not interactive:
            raise ck.PRESET_HOST_NEEDED.error(provider=preset.name, example=preset.host_example)
        while not host:
            host = input(ctx.t(ck.ADD_HOST_PROMPT, example=preset.host_example)).strip()
    if preset is not None:
        data = preset.account_data(email, name=args.name, host=host)
    else:
        data = {
            "name": args.name or email,
            "email": email,
            "transport": "smtp",
            "settings": {"host": host, "port": 587, "security": "starttls"},
            "auth": "password",
        }
    if args.port is not None:
        data["settings"]["port"] = args.port
    if args.security is not None:
        data["settings"]["security"] = "tls" if args.security == "ssl" else args.security
    _warn_port_mismatch(ctx, data["settings"])

    if ctx.config_path is not None and not ctx.config_path.exists():
        config = Config(path=ctx.config_path)  # a new accounts file
    else:
        config = ctx.config()
    if any(a.name == data["name"] for a in config.accounts):
        raise ck.ACCOUNT_EXISTS.error(name=data["name"], file=str(config.path))

    while interactive:
        ctx.print(*_describe(ctx, data, preset))
        answer = input(ctx.t(ck.ADD_CONFIRM)).strip().lower()
        if answer in _answers(ctx, ck.ANSWERS_NO):
            ctx.print(ctx.t(ck.ADD_CANCELLED))
            return EX_USAGE
        if answer in _answers(ctx, ck.ANSWERS_EDIT):
            _edit(ctx, data)
            continue
        if not answer or answer in _answers(ctx, ck.ANSWERS_YES):
            break

    data["default"] = not config.accounts
    account = Account.model_validate(data)
    config.accounts.append(account)
    path = save_config(config, ctx.config_path)
    name = account.name
    if account.auth in ("gmail-oauth2", "microsoft-oauth2", "oauth2"):
        next_step = ctx.t(ck.ADD_NEXT_OAUTH, name=name)
    elif account.auth is None:
        next_step = ""
    else:
        next_step = ctx.t(
            ck.ADD_NEXT_PASSWORD, name=name, env=_password_env(plugins, account.auth, name)
        )
    if ctx.json:
        ctx.print_json(
            {
                "saved": True,
                "path": str(path),
                "account": account.public_dict(),
                "preset": preset.to_dict() if preset is not None else None,
                "notes": _notes(ctx, preset) if preset is not None else [],
                "next": next_step or None,
            }
        )
    else:
        if not interactive:
            ctx.print(*_describe(ctx, data, preset))
        ctx.print(ctx.t(ck.ADD_SAVED, name=name, file=path))
        if next_step:
            ctx.print(next_step)
    return EX_OK
