"""Core commands: plugins, version, explain, i18n, accounts list/show, send."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from .._version import API_VERSION
from ..errors import MailplugError
from ..text import Text

if TYPE_CHECKING:
    from ..i18n import CatalogReport

from ._base import EX_CONFIG, EX_OK, EX_USAGE, Context, command, exit_code_for


@command("version", help="print the mailplug and plugin API versions")
def version(ctx: Context, args: argparse.Namespace) -> int:
    data = {"mailplug": __version__, "api": API_VERSION, "python": sys.version.split()[0]}
    if ctx.json:
        ctx.print_json(data)
    else:
        ctx.print(f"mailplug {__version__} (plugin API {API_VERSION})")
    return EX_OK


def _plugins_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--disable", action="append", help="block a plugin by name (repeatable)")


@command(
    "plugins",
    help="list plugins, what each provides, and why any was refused",
    arguments=_plugins_args,
)
def plugins(ctx: Context, args: argparse.Namespace) -> int:
    from ..plugins import Plugins

    found = Plugins(disable=args.disable)
    found.importers  # noqa: B018 - collected on first use; listing them fills "provides"
    if ctx.json:
        ctx.print_json([i.to_dict(ctx.lang) for i in found.infos])
        return EX_OK
    rows = []
    for info in found.infos:
        provides = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(info.provides.items()))
        origin = info.source if not info.distribution else f"{info.distribution} {info.version}"
        rows.append([info.name, info.status, origin, provides or "-"])
    ctx.table(rows, ["plugin", "status", "from", "provides"])
    for info in found.infos:
        if info.error is not None:
            ctx.print("", f"{info.name}: {info.error.render(ctx.lang)}")
    return EX_OK


def _explain_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("code", help="reply code, e.g. 550 (or an error key, e.g. file.problem)")
    p.add_argument("enhanced", nargs="?", help="enhanced status code, e.g. 5.1.1")
    p.add_argument("text", nargs="*", help="the server's reply text")
    p.add_argument("--stage", default="data", help="SMTP step: connect, auth, mail, rcpt, data")


@command(
    "explain", help="explain a server reply or an error key in plain words", arguments=_explain_args
)
def explain(ctx: Context, args: argparse.Namespace) -> int:
    from .. import keys, texts
    from ..errors import ServerReply
    from ..mailer import AsyncMailer

    mailer = AsyncMailer(lang=ctx.lang, outbox=None)
    enhanced, text = args.enhanced, list(args.text)
    if enhanced is not None and not enhanced[:1].isdigit():
        text.insert(0, enhanced)
        enhanced = None
    usage = None
    if args.stage.strip().lower() not in EXPLAIN_STAGES:
        usage = keys.EXPLAIN_UNKNOWN_STAGE.error(stage=args.stage, stages=", ".join(EXPLAIN_STAGES))
    elif args.code.isdigit():
        if not 200 <= int(args.code) <= 599:
            usage = keys.EXPLAIN_UNKNOWN_INPUT.error(value=args.code)
        else:
            error = mailer.explain(int(args.code), enhanced, " ".join(text), stage=args.stage)
    else:
        spec = mailer.plugins.errors.get(args.code)
        if spec is None:
            usage = keys.EXPLAIN_UNKNOWN_INPUT.error(value=args.code)
        else:
            error = mailer.localize(
                spec.error(reply=ServerReply(text=" ".join(text)) if text else None)
            )
    if usage is not None:
        usage = mailer.localize(usage)
        if ctx.json:
            ctx.print_json({"error": usage.to_dict(ctx.lang)})
        else:
            ctx.err.write(f"{usage.render(ctx.lang)} ({usage.key})\n")
        return EX_USAGE
    full = error.to_dict(ctx.lang)
    data = {
        k: v for k, v in full.items() if k in {"key", "category", "transient", "message", "advice"}
    }
    category = texts.CATEGORY_TEXTS.get(str(error.category))
    retry = ctx.t(texts.TRANSIENT if error.transient else texts.PERMANENT)
    data["category_label"] = ctx.t(category) if category else str(error.category)
    data["reply"] = str(error.reply) if error.reply is not None else None
    if ctx.json:
        ctx.print_json(data)
    else:
        ctx.print(
            f"{data['key']} ({data['category_label']}; {retry})",
            data["message"],
            data["advice"],
        )
    return EX_OK


#: The steps ``explain --stage`` knows (the SMTP plugin maps them to its own).
EXPLAIN_STAGES = (
    "connect",
    "greeting",
    "ehlo",
    "helo",
    "lhlo",
    "starttls",
    "tls",
    "auth",
    "login",
    "mail",
    "sender",
    "rcpt",
    "recipient",
    "data",
    "bdat",
    "message",
    "quit",
    "rset",
)


def _i18n_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("langs", nargs="*", help="languages to check (default: every installed one)")
    p.add_argument(
        "--require",
        action="append",
        default=None,
        help="languages that must be complete (default: pl and en; with --plugin: the "
        "languages the plugin ships)",
    )
    p.add_argument(
        "--plugin",
        help="judge one plugin's own messages and catalogs (default: the core and the "
        "built-in plugins; other plugins are only noted)",
    )


def _i18n_scope(ctx: Context, mailer: Any, name: str | None) -> tuple[set[str], set[str]] | None:
    """``(plugins whose messages are judged, plugins whose catalogs count)``; ``None``
    after reporting an unknown plugin name."""
    plugins = mailer.plugins
    if name is None:
        return plugins.builtin, plugins.builtin
    loaded = {i.name for i in plugins.infos if i.status == "loaded"}
    if name not in loaded:
        from .. import keys

        usage = mailer.localize(
            keys.I18N_UNKNOWN_PLUGIN.error(plugin=name, available=", ".join(sorted(loaded)))
        )
        if ctx.json:
            ctx.print_json({"error": usage.to_dict(ctx.lang)})
        else:
            ctx.err.write(f"{usage.render(ctx.lang)} ({usage.key})\n")
        return None
    # A built-in plugin's catalogs are registered by the ``locales`` plugin: its domain is
    # the built-in catalogs; a third-party plugin answers for its own catalogs only.
    return {name}, plugins.builtin if name in plugins.builtin else {name}


def _problems(r: CatalogReport) -> list[tuple[str, str, Text | None]]:
    """``(label, where, text)`` per problem, for the listing."""
    out: list[tuple[str, str, Text | None]] = []
    for label, items in (
        ("missing", r.missing),
        ("fuzzy (counts as untranslated)", r.fuzzy),
        ("plural forms missing", r.untranslated),
        ("placeholders differ", r.placeholders),
    ):
        out += [(label, r.location(t), t) for t in items]
    out += [("header", h, None) for h in r.headers]
    return out


@command(
    "check",
    group="i18n",
    help="list missing, fuzzy and untranslated messages, placeholders and headers per language",
    arguments=_i18n_args,
)
def i18n_check(ctx: Context, args: argparse.Namespace) -> int:
    from ..i18n import Translator
    from ..mailer import AsyncMailer

    mailer = AsyncMailer(lang=ctx.lang, outbox=None)
    scope = _i18n_scope(ctx, mailer, args.plugin)
    if scope is None:
        return EX_USAGE
    judged, domain = scope
    translator = Translator(mailer.plugins.catalogs_of(domain))
    texts = mailer.plugins.texts(judged)
    own_langs = translator.languages()
    if args.require:
        required = set(args.require)
    elif args.plugin and args.plugin not in mailer.plugins.builtin:
        required = set(own_langs)
    else:
        required = {"pl", "en"}
    langs = args.langs or sorted(set(own_langs) | (required if args.plugin else set()))
    reports = [translator.report(lang, texts) for lang in langs]
    failed = [r.lang for r in reports if r.lang in required and not r.complete]
    failed += [lang for lang in required if lang not in own_langs]
    # Other plugins answer for their own catalogs: noted here, never failing this check.
    notes: list[dict[str, Any]] = []
    if args.plugin is None:
        for other in sorted(mailer.plugins.owners() - mailer.plugins.builtin):
            mine = Translator(mailer.plugins.catalogs_of({other}))
            # English needs no catalog of a plugin's own: its source texts are English.
            for lang in sorted(set(mine.languages()) | (required - {"en"})):
                r = mine.report(lang, mailer.plugins.texts(other))
                if not r.complete:
                    notes.append({"plugin": other, "lang": lang, "problems": len(_problems(r))})
    if ctx.json:
        ctx.print_json(
            {
                "messages": len(texts),
                "plugin": args.plugin,
                "languages": {
                    r.lang: {
                        "complete": r.complete,
                        "missing": [t.msgid for t in r.missing],
                        "fuzzy": [t.msgid for t in r.fuzzy],
                        "untranslated": [t.msgid for t in r.untranslated],
                        "placeholders": [t.msgid for t in r.placeholders],
                        "headers": r.headers,
                        "problems": [
                            {
                                "kind": label,
                                "where": where,
                                "context": t.context if t else None,
                                "msgid": t.msgid if t else None,
                            }
                            for label, where, t in _problems(r)
                        ],
                    }
                    for r in reports
                },
                "failed": sorted(failed),
                "notes": notes,
            }
        )
    else:
        for r in reports:
            state = (
                "complete"
                if r.complete
                else (
                    f"{len(r.missing)} missing, {len(r.fuzzy)} fuzzy, "
                    f"{len(r.untranslated)} without every plural form, "
                    f"{len(r.placeholders)} with wrong placeholders, "
                    f"{len(r.headers)} header problems"
                )
            )
            ctx.print(f"{r.lang}: {len(texts)} messages, {state}")
            for label, where, t in _problems(r):
                if t is None:
                    ctx.print(f"  {label}: {where}")
                else:
                    ctx.print(f"  {where or r.lang}: {label}: [{t.context or ''}] {t.msgid}")
        for lang in sorted(set(failed) - set(own_langs)):
            ctx.print(f"{lang}: no catalog installed")
        for note in notes:
            ctx.print(
                f"note: plugin {note['plugin']} ({note['lang']}): {note['problems']} problem(s) "
                f"in its own catalogs; not judged here (mailplug i18n check --plugin "
                f"{note['plugin']})"
            )
    return EX_CONFIG if failed else EX_OK


def _extract_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", type=Path, default=None, help="write the .pot here")
    p.add_argument(
        "--plugin",
        help="only this plugin's messages (default: the core and the built-in plugins)",
    )


@command(
    "extract",
    group="i18n",
    help="write the message template (.pot) for translators",
    arguments=_extract_args,
    json=False,
)
def i18n_extract(ctx: Context, args: argparse.Namespace) -> int:
    from io import BytesIO

    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    from ..mailer import AsyncMailer

    mailer = AsyncMailer(outbox=None)
    scope = _i18n_scope(ctx, mailer, args.plugin)
    if scope is None:
        return EX_USAGE
    judged, _ = scope
    catalog = Catalog(project=args.plugin or "mailplug", version=__version__)
    for text in mailer.plugins.texts(judged):
        msgid: Any = (text.msgid, text.plural) if text.plural else text.msgid
        flags = ["python-brace-format"] if "{" in text.msgid else []
        catalog.add(msgid, context=text.context, flags=flags)
    buf = BytesIO()
    write_po(buf, catalog, width=100, omit_header=False)
    if args.output:
        args.output.write_bytes(buf.getvalue())
    else:
        sys.stdout.write(buf.getvalue().decode("utf-8"))
    return EX_OK


@command("list", group="accounts", help="list configured accounts")
def accounts_list(ctx: Context, args: argparse.Namespace) -> int:
    config = ctx.config()
    if ctx.json:
        ctx.print_json([a.public_dict() for a in config.accounts])
        return EX_OK
    if not config.accounts:  # a first run: say where we looked and what to do
        from ..texts import NO_ACCOUNTS
        from .paths import paths_of

        found = paths_of(ctx)
        ctx.err.write(ctx.t(NO_ACCOUNTS, config=found["config"], data_dir=found["data_dir"]) + "\n")
        return EX_OK
    rows = [
        [
            a.name + (" *" if a.default else ""),
            str(a.from_address),
            a.transport,
            a.auth or "-",
            str(a.settings.get("host", "-")),
        ]
        for a in config.accounts
    ]
    ctx.table(rows, ["account", "from", "transport", "auth", "server"])
    return EX_OK


def _account_name(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="account name")


@command(
    "show", group="accounts", help="show one account (secrets masked)", arguments=_account_name
)
def accounts_show(ctx: Context, args: argparse.Namespace) -> int:
    mailer = ctx.mailer(outbox=None)
    account = mailer.account(args.name)
    data = account.public_dict()
    try:
        auth = ctx.run(mailer.authenticator(account))
    except MailplugError as exc:  # show the account even when its login method is broken
        data["auth_state"] = {"error": exc.to_dict(ctx.lang)}
    else:
        if auth is not None:
            data["auth_state"] = ctx.run(_describe(auth))
    if ctx.json:
        ctx.print_json(data)
    else:
        for key, value in data.items():
            ctx.print(f"{key}: {value}")
    return EX_OK


async def _describe(auth: Any) -> Any:
    describe = auth.adescribe() if hasattr(auth, "adescribe") else auth.describe()
    if hasattr(describe, "__await__"):
        return await describe
    return describe


def _send_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="sender", help="From address (selects the account)")
    p.add_argument("--account", help="account name")
    p.add_argument("--to", action="append", default=[], help="recipient (repeatable)")
    p.add_argument("--cc", action="append", default=[])
    p.add_argument("--bcc", action="append", default=[])
    p.add_argument("--reply-to", action="append", default=[])
    p.add_argument("--subject", default="")
    p.add_argument("--text", help="plain-text body ('-' reads standard input)")
    p.add_argument("--html", help="HTML body file")
    p.add_argument(
        "--charset",
        help="character set of --text - and --html when not UTF-8 (e.g. windows-1250)",
    )
    p.add_argument("--attach", action="append", default=[], type=Path, help="file to attach")
    p.add_argument("--read-receipt", action="store_true", help="ask for a read receipt")
    p.add_argument("--now", action="store_true", help="send directly instead of queueing")


@command("send", help="queue a message (or send it directly with --now)", arguments=_send_args)
def send(ctx: Context, args: argparse.Namespace) -> int:
    from .. import texts
    from ..charsets import decode_text
    from ..compose import read_file
    from ..models import Attachment, Message
    from ..outbox import CopyStatus, SentCopy

    # The mailer first: the accounts file's ``lang`` then applies to message errors too.
    mailer = ctx.mailer(outbox=None if args.now else "sqlite")
    text = args.text
    if text == "-":
        # Bytes, decoded as declared (--charset, a BOM, UTF-8, else the terminal's
        # encoding), so text in another character set is not a traceback.
        text = decode_text(
            sys.stdin.buffer.read(), field="text", charset=args.charset, fallback=sys.stdin.encoding
        )
    html = None
    if args.html:
        html = decode_text(
            read_file(Path(args.html)), field="html", charset=args.charset, html=True
        )
    message = Message(
        sender=args.sender,
        account=args.account,
        to=args.to,
        cc=args.cc,
        bcc=args.bcc,
        reply_to=args.reply_to,
        subject=args.subject,
        text=text,
        html=html,
        attachments=[Attachment(path=p) for p in args.attach],
        read_receipt=args.read_receipt,
    )
    if args.now:
        try:
            result = ctx.run(mailer.send(message))
        except MailplugError as exc:
            if not exc.transient:
                raise
            # Advice for a temporary failure promises an automatic resend, which is
            # the outbox's job: --now queued nothing, so say that instead.
            exc.translator = exc.translator or mailer.translator
            data = exc.to_dict(ctx.lang)
            data["advice"] = ctx.t(texts.NOT_QUEUED)
            if ctx.json:
                ctx.print_json({"error": data})
            else:
                ctx.err.write(f"{data['message']}\n{data['advice']}\n")
            return exit_code_for(exc)
        refusals = [
            mailer.localize(r.error.error(reply=r.reply, recipient=r.address)) if r.error else None
            for r in result.refused
        ]
        copy = result.details.get("sent_copy")
        if not isinstance(copy, SentCopy):
            copy = None
        data = {
            "message_id": result.message_id,
            "host": result.host,
            "accepted": [r.address for r in result.accepted],
            "refused": [
                {
                    "address": r.address,
                    "code": r.code,
                    "enhanced": r.enhanced,
                    "text": r.text,
                    "key": r.error_key,
                    "category": str(r.error.category) if r.error else None,
                    "transient": r.transient,
                    "message": error.message(ctx.lang) if error else None,
                }
                for r, error in zip(result.refused, refusals, strict=True)
            ],
        }
        if copy is not None:
            data["sent_copy"] = {
                **copy.to_dict(),
                "message": mailer.reason(copy.error).message(ctx.lang) if copy.error else None,
            }
        if ctx.json:
            ctx.print_json(data)
        else:
            ctx.print(
                ctx.t(
                    texts.SENT_SUMMARY,
                    id=result.message_id,
                    host=result.host or "—",
                    accepted=len(result.accepted),
                    refused=len(result.refused),
                )
            )
            for r, error in zip(result.refused, refusals, strict=True):
                sentence = error.message(ctx.lang) if error else ""
                ctx.print(ctx.t(texts.SENT_REFUSED, address=r.address, sentence=sentence))
                ctx.print("    " + ctx.t(texts.SERVER_REPLIED_NO_HOST, reply=str(r.reply)))
            if copy is not None and copy.status is CopyStatus.SAVED:
                ctx.print(ctx.t(texts.SENT_COPY_SAVED_NOW, folder=copy.folder or ""))
            elif copy is not None and copy.error is not None:
                why = mailer.reason(copy.error).message(ctx.lang)
                ctx.print(ctx.t(texts.SENT_COPY_NOT_SAVED_NOW, reason=why))
        return (
            EX_OK if not result.refused else 75 if all(r.transient for r in result.refused) else 69
        )
    entry_id = ctx.run(mailer.enqueue(message))
    # The stored Message-ID is the one that goes on the wire (compose may fill in the domain).
    entry = ctx.run(mailer.status(entry_id))
    if ctx.json:
        ctx.print_json(
            {"id": entry_id, "message_id": entry.message_id, "status": str(entry.status)}
        )
    else:
        ctx.print(f"queued {entry_id} ({entry.message_id})")
    return EX_OK


def _update_args(p: argparse.ArgumentParser) -> None:
    # Not ``lang``: that is the global --lang (the language messages are shown in).
    p.add_argument("catalog_lang", metavar="LANG", help="language code, e.g. pl, de, pt_BR")
    p.add_argument("file", type=Path, help="the .po file to create or extend")
    p.add_argument("--plugin", help="only the messages of this plugin (e.g. smtp, core)")


@command(
    "update",
    group="i18n",
    help="add the messages a catalog lacks to a .po file (English ones are pre-filled)",
    arguments=_update_args,
    json=False,
)
def i18n_update(ctx: Context, args: argparse.Namespace) -> int:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    from ..i18n import Translator, normalize_lang
    from ..mailer import AsyncMailer

    lang = normalize_lang(args.catalog_lang)
    mailer = AsyncMailer(outbox=None)
    scope = _i18n_scope(ctx, mailer, args.plugin)
    if scope is None:
        return EX_USAGE
    judged, domain = scope
    translator = Translator(mailer.plugins.catalogs_of(domain))
    lacking = translator.report(lang, mailer.plugins.texts(judged)).missing
    if args.file.exists():
        with args.file.open("rb") as fh:
            catalog = read_po(fh, locale=lang.split("_")[0])
    else:
        catalog = Catalog(locale=lang.split("_")[0], project="mailplug", version=__version__)
    added = 0
    for text in lacking:
        if catalog.get(text.msgid, context=text.context) is not None:
            continue
        msgid: Any = (text.msgid, text.plural) if text.plural else text.msgid
        string: Any = ""
        if lang == "en":
            string = (text.msgid, text.plural) if text.plural else text.msgid
        catalog.add(msgid, string, context=text.context)
        added += 1
    args.file.parent.mkdir(parents=True, exist_ok=True)
    with args.file.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=False)
    ctx.print(f"{args.file}: {added} message(s) added")
    return EX_OK
