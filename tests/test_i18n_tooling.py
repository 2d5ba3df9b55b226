"""Translation tooling: advice keyed per error, per-plugin check/extract, plural/header checks."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from tests.plugin_dists import activate, make_dist, pip_install_example

from mailplug import AsyncMailer, hookimpl
from mailplug.cli import main
from mailplug.errors import Category, ErrorSpec
from mailplug.i18n import Translator, check_headers
from mailplug.text import Text

PL_HEADER = (
    'msgid ""\nmsgstr ""\n"Language: pl\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && '
    '(n%100<10 || n%100>=20) ? 1 : 2);\\n"\n\n'
)
ADVICE = "Check the demo settings."


def _po(path: Path, body: str, header: str = PL_HEADER) -> Path:
    path.write_text(header + body, encoding="utf-8")
    return path


def _plugin(spec: ErrorSpec, po: Path) -> object:
    class Demo:
        @hookimpl
        def mailplug_register_messages(self, register: object) -> None:
            register(spec)  # type: ignore[operator]

        @hookimpl
        def mailplug_register_catalogs(self, register: object) -> None:
            register("pl", po)  # type: ignore[operator]

    return Demo()


# -- 1. advice has its own msgctxt ---------------------------------------------------------


def test_two_plugins_translate_the_same_english_advice_each_its_own_way(tmp_path: Path) -> None:
    # Before: advice was looked up by its English text alone, so the first catalog's
    # translation silently replaced the second plugin's for its key.
    one = ErrorSpec("one.broken", Category.CONFIGURATION, False, "One is broken.", ADVICE)
    two = ErrorSpec("two.broken", Category.CONFIGURATION, False, "Two is broken.", ADVICE)
    po_one = _po(
        tmp_path / "one.po",
        f'msgctxt "one.broken.advice"\nmsgid "{ADVICE}"\nmsgstr "Sprawdź ustawienia jedynki."\n',
    )
    po_two = _po(
        tmp_path / "two.po",
        f'msgctxt "two.broken.advice"\nmsgid "{ADVICE}"\nmsgstr "Sprawdź ustawienia dwójki."\n',
    )
    mailer = AsyncMailer(
        outbox=None, plugins=[_plugin(one, po_one), _plugin(two, po_two)], entry_points=False
    )
    assert mailer.localize(one.error()).advice("pl") == "Sprawdź ustawienia jedynki."
    assert mailer.localize(two.error()).advice("pl") == "Sprawdź ustawienia dwójki."


def test_an_old_catalog_without_advice_context_is_still_read(tmp_path: Path) -> None:
    spec = ErrorSpec("old.broken", Category.CONFIGURATION, False, "Old is broken.", ADVICE)
    po = _po(tmp_path / "old.po", f'msgid "{ADVICE}"\nmsgstr "Sprawdź ustawienia."\n')
    mailer = AsyncMailer(outbox=None, plugins=[_plugin(spec, po)], entry_points=False)
    assert mailer.localize(spec.error()).advice("pl") == "Sprawdź ustawienia."
    # ... but the check asks for the keyed entry, so a translator adds it.
    report = Translator({"pl": [po]}).report("pl", [spec.advice_text])
    assert [t.context for t in report.missing] == ["old.broken.advice"]


def test_shipped_catalogs_key_every_advice_and_extract_emits_the_context(
    tmp_path: Path,
) -> None:
    from babel.messages.pofile import read_po

    advice = {s.advice for s in AsyncMailer(outbox=None).plugins.errors.values()}
    roots = [Path("src/mailplug/locales"), Path("locales")]
    for po in [p for r in roots for p in r.glob("*/LC_MESSAGES/*.po")]:
        with po.open("rb") as fh:
            for m in read_po(fh):
                # no advice is left as a context-less entry that any key could pick up
                assert m.context or m.id not in advice, f"{po}:{m.lineno}: {m.id}"
    pot = tmp_path / "mailplug.pot"
    assert main(["i18n", "extract", "-o", str(pot)]) == 0
    text = pot.read_text(encoding="utf-8")
    assert 'msgctxt "smtp.recipient.unknown.advice"' in text
    assert 'msgctxt "file.problem.advice"' in text


# -- 2. each plugin answers for its own catalogs --------------------------------------------

PLUGIN_SOURCE = """
from pathlib import Path
from mailplug.plugin import Category, ErrorSpec, hookimpl

SPEC = ErrorSpec(
    "parrot.deaf", Category.SERVER, True, "The parrot {name} did not hear it.",
    "Speak louder to {name}.",
)

@hookimpl
def mailplug_register_messages(register):
    register(SPEC)

@hookimpl
def mailplug_register_catalogs(register):
    register("pl", Path(__file__).with_name("parrot_pl.po"))
"""


@pytest.fixture
def parrot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A third-party plugin dist whose Polish catalog lacks the advice."""
    site = tmp_path / "site"
    make_dist(site, "mailplug-parrot", "mailplug_parrot", PLUGIN_SOURCE, entry="parrot")
    _po(
        site / "parrot_pl.po",
        '#, python-brace-format\nmsgctxt "parrot.deaf"\n'
        'msgid "The parrot {name} did not hear it."\nmsgstr "Papuga {name} tego nie usłyszała."\n',
    )
    activate(monkeypatch, site)
    monkeypatch.delitem(sys.modules, "mailplug_parrot", raising=False)  # this test's copy
    return site


def test_a_third_party_plugin_never_fails_the_core_check(
    parrot: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the plugin's untranslated advice made the host's check fail for pl and en.
    assert main(["i18n", "check"]) == 0
    out = capsys.readouterr().out
    assert "note: plugin parrot (pl)" in out
    assert "mailplug i18n check --plugin parrot" in out
    assert main(["i18n", "check", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"plugin": "parrot", "lang": "pl", "problems": 1} in data["notes"]
    assert "Speak louder to {name}." not in json.dumps(data["languages"])


def test_check_plugin_judges_that_plugins_own_catalogs(
    parrot: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["i18n", "check", "--plugin", "parrot"]) == 78
    out = capsys.readouterr().out
    assert out.startswith("pl: 2 messages, 1 missing")
    assert "missing: [parrot.deaf.advice] Speak louder to {name}." in out
    # Completed, the plugin's check passes: the core's messages are not its business.
    po = parrot / "parrot_pl.po"
    po.write_text(
        po.read_text(encoding="utf-8") + '\n#, python-brace-format\nmsgctxt "parrot.deaf.advice"\n'
        'msgid "Speak louder to {name}."\nmsgstr "Mów głośniej do: {name}."\n',
        encoding="utf-8",
    )
    assert main(["i18n", "check", "--plugin", "parrot"]) == 0
    assert capsys.readouterr().out.startswith("pl: 2 messages, complete")


def test_extract_plugin_writes_only_that_plugins_texts(
    parrot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pot = tmp_path / "parrot.pot"
    assert main(["i18n", "extract", "--plugin", "parrot", "-o", str(pot)]) == 0
    text = pot.read_text(encoding="utf-8")
    assert text.count("msgctxt") == 2
    assert 'msgctxt "parrot.deaf.advice"' in text and "python-brace-format" in text
    full = tmp_path / "core.pot"
    assert main(["i18n", "extract", "-o", str(full)]) == 0
    assert "parrot" not in full.read_text(encoding="utf-8")


def test_check_for_an_unknown_plugin_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--lang", "pl", "i18n", "check", "--plugin", "nope"]) == 64
    err = capsys.readouterr().err
    assert "Nie ma wczytanej wtyczki o nazwie „nope”" in err and "(i18n.unknown_plugin)" in err


# -- 3. plural forms, placeholders in each form, headers, fuzzy, file:line ------------------


def test_check_catches_plural_forms_headers_and_fuzzy_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = [
        Text("{n} file", plural="{n} files", context="t1"),
        Text("{n} file in {folder}", plural="{n} files in {folder}", context="t2"),
        Text("{n} day", plural="{n} days", context="t3"),
        Text("Server {host} replied.", context="t4"),
        Text("Done.", context="t5"),
    ]
    po = _po(
        tmp_path / "pl.po",
        # two of Polish's three forms
        'msgctxt "t1"\nmsgid "{n} file"\nmsgid_plural "{n} files"\n'
        'msgstr[0] "{n} plik"\nmsgstr[1] "{n} pliki"\n\n'
        # every form, one with a misspelled placeholder
        'msgctxt "t2"\nmsgid "{n} file in {folder}"\nmsgid_plural "{n} files in {folder}"\n'
        'msgstr[0] "{n} plik w {folder}"\nmsgstr[1] "{n} pliki w {fodler}"\n'
        'msgstr[2] "{n} plików w {folder}"\n\n'
        # the third form empty
        'msgctxt "t3"\nmsgid "{n} day"\nmsgid_plural "{n} days"\n'
        'msgstr[0] "{n} dzień"\nmsgstr[1] "{n} dni"\nmsgstr[2] ""\n\n'
        # a dropped placeholder
        'msgctxt "t4"\nmsgid "Server {host} replied."\nmsgstr "Serwer odpowiedział."\n\n'
        '#, fuzzy\nmsgctxt "t5"\nmsgid "Done."\nmsgstr "Gotowe."\n',
    )
    report = Translator({"pl": [po]}).report("pl", texts)
    assert [t.context for t in report.untranslated] == ["t1", "t3"]
    assert [t.context for t in report.placeholders] == ["t2", "t4"]
    assert [t.context for t in report.fuzzy] == ["t5"]
    assert report.location(texts[1]) == f"{po}:14"
    assert report.headers == [] and not report.complete

    class Plug:
        @hookimpl
        def mailplug_register_messages(self, register: object) -> None:
            for text in texts:
                register(text)  # type: ignore[operator]

        @hookimpl
        def mailplug_register_catalogs(self, register: object) -> None:
            register("pl", po)  # type: ignore[operator]

    real = AsyncMailer

    def with_plugin(*args: object, **kwargs: object) -> AsyncMailer:
        return real(*args, plugins=[Plug()], entry_points=False, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("mailplug.mailer.AsyncMailer", with_plugin)
    assert main(["i18n", "check", "--plugin", "Plug-0"]) == 78
    out = capsys.readouterr().out
    assert f"{po}:14: placeholders differ: [t2] {{n}} file in {{folder}}" in out
    assert f"{po}:8: plural forms missing: [t1] {{n}} file" in out
    assert f"{po}:33: fuzzy (counts as untranslated): [t5] Done." in out


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (PL_HEADER.replace("UTF-8", "ISO-8859-2"), "must say charset=UTF-8"),
        (PL_HEADER.replace('"Language: pl\\n"\n', ""), "no Language header"),
        (PL_HEADER.replace("Language: pl", "Language: cs"), "Language is 'cs'"),
        (
            PL_HEADER.replace(PL_HEADER.split("\n")[4] + "\n", ""),
            "no Plural-Forms header (should be nplurals=3",
        ),
        (
            PL_HEADER.replace(
                PL_HEADER.split("\n")[4], '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"'
            ),
            "does not match 'pl'",
        ),
        (  # three forms, but 12-14 chosen wrong (the form of 2-4)
            PL_HEADER.replace("(n%100<10 || n%100>=20)", "1"),
            "does not match 'pl'",
        ),
    ],
)
def test_check_catches_bad_headers(tmp_path: Path, header: str, problem: str) -> None:
    po = _po(tmp_path / "pl.po", 'msgctxt "a"\nmsgid "A"\nmsgstr "A"\n', header=header)
    problems = check_headers(po, "pl")
    assert len(problems) == 1 and problem in problems[0], problems
    assert problems[0].startswith(f"{po}:1: ")
    assert not Translator({"pl": [po]}).report("pl", []).complete


def test_shipped_headers_are_right() -> None:
    roots = [Path("src/mailplug/locales"), Path("locales")]
    for po in [p for r in roots for p in r.glob("*/LC_MESSAGES/*.po")]:
        assert check_headers(po, po.parent.parent.name) == []


def test_the_readme_filedrop_example_leaves_the_core_check_green(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: installing examples/mailplug-filedrop failed the host's `i18n check` for pl
    # and en. Now it ships its own Polish catalog and answers for it.
    site = tmp_path / "site"
    pip_install_example(site)
    activate(monkeypatch, site)
    monkeypatch.delitem(sys.modules, "mailplug_filedrop", raising=False)
    assert main(["i18n", "check"]) == 0
    assert "note: plugin filedrop" not in capsys.readouterr().out
    assert main(["i18n", "check", "--plugin", "filedrop"]) == 0
    assert capsys.readouterr().out.startswith("pl: 2 messages, complete")
    mailer = AsyncMailer(outbox=None)
    error = mailer.localize(mailer.plugins.errors["filedrop.directory_missing"].error())
    assert error.advice("pl").startswith("Ustaw settings.directory na folder")
    # The plugin's catalog loses its advice: the host stays green, the plugin's check fails.
    po = next((site / "mailplug_filedrop").rglob("filedrop.po"))
    text = po.read_text(encoding="utf-8")
    po.write_text(text[: text.index('msgctxt "filedrop.directory_missing.advice"')])
    assert main(["i18n", "check"]) == 0
    assert "note: plugin filedrop (pl): 1 problem(s)" in capsys.readouterr().out
    assert main(["i18n", "check", "--plugin", "filedrop"]) == 78
    assert "missing: [filedrop.directory_missing.advice]" in capsys.readouterr().out


# -- 4. a catalog-only language package -----------------------------------------------------


def test_a_catalog_only_package_adds_german_to_an_installed_mailplug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: German could only come from code (a plugin with a hook); --lang de was refused.
    assert main(["--lang", "de", "explain", "message.no_recipients"]) == 64
    capsys.readouterr()
    site = tmp_path / "site"
    pip_install_example(site, "mailplug-lang-de")
    shipped = {p.name for p in (site / "mailplug_lang_de").rglob("*.*") if p.suffix != ".pyc"}
    assert shipped == {"__init__.py", "mailplug.po"}
    assert (site / "mailplug_lang_de" / "__init__.py").read_text() == ""  # no code
    activate(monkeypatch, site)
    assert main(["--lang", "de", "explain", "message.no_recipients"]) == 0
    out = capsys.readouterr().out
    assert "Die Nachricht hat keine Empfänger." in out
    assert "Tragen Sie mindestens einen Empfänger" in out  # the advice, keyed
    assert main(["i18n", "check", "--require", "de", "de"]) == 78
    out = capsys.readouterr().out
    assert out.startswith("de: ") and "0 header problems" in out
    assert "missing: [server.unknown] The mail server refused the operation." in out
    assert "[message.no_recipients]" not in out
    assert main(["i18n", "check"]) == 0  # pl and en stay the core's requirement
    mailer = AsyncMailer(outbox=None)
    assert mailer.translator.gettext(Text("sent", context="status"), "de") == "gesendet"


# -- 6. wording that must stay true ---------------------------------------------------------


def test_class_names_in_messages_exist() -> None:
    # Before: api.sync_in_event_loop advised a class "SyncMailer" that does not exist.
    import mailplug
    import mailplug.plugin

    named = {
        word: text.context
        for text in AsyncMailer(outbox=None).plugins.texts()
        for word in re.findall(r"\b[A-Z][a-z]+(?:[A-Z][a-z0-9]+)+\b|\bMailer\b", text.msgid)
    }
    assert "AsyncMailer" in named and "Mailer" in named
    for word, context in named.items():
        assert hasattr(mailplug, word) or hasattr(mailplug.plugin, word), (word, context)


def test_accounts_add_in_polish_has_no_english_notes_or_research_notes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: "Tych wartości nie udało się potwierdzić … (Thunderbird ISPDB wp.pl, which cites
    # this WP help page; the page itself was not re-read)".
    from mailplug.presets import NOTES

    presets = AsyncMailer(outbox=None).plugins.presets.presets.values()
    checked = 0
    for i, preset in enumerate(p for p in presets if p.domains):
        args = ["--lang", "pl", "accounts", "add", "--email", f"jan@{preset.domains[0]}"]
        args += ["--name", f"konto{i}", "--yes"]
        if preset.per_customer:
            args += ["--host", (preset.host_example or "mail.example.com").replace("N", "1")]
        assert main(args) == 0, preset.id
        out = capsys.readouterr().out
        assert preset.basis not in out, preset.id
        for note in preset.notes:
            english = max(re.split(r"\{\w+\}", NOTES[note].msgid), key=len)[:30]
            assert english not in out, (preset.id, note)
        assert "Dostawca:" in out
        checked += 1
    assert checked >= 8


@pytest.mark.parametrize(
    ("n", "accounts", "sent"),
    [
        (1, "Do ustawień e-mail zostałoby dodane 1 konto.", "1 wysłana wiadomość zostałaby dodana"),
        (
            3,
            "Do ustawień e-mail zostałyby dodane 3 konta.",
            "3 wysłane wiadomości zostałyby dodane",
        ),
        (5, "Do ustawień e-mail zostałoby dodanych 5 kont.", "5 wysłanych wiadomości zostałoby"),
        (22, "Do ustawień e-mail zostałyby dodane 22 konta.", "22 wysłane wiadomości zostałyby"),
        (12, "Do ustawień e-mail zostałoby dodanych 12 kont.", "12 wysłanych wiadomości zostałoby"),
    ],
)
def test_a_dry_run_import_speaks_in_the_conditional(n: int, accounts: str, sent: str) -> None:
    # Before: a dry run said "zostało dodanych" (done) although nothing was changed.
    from mailplug.importing import ImportReport

    report = ImportReport(source=Path("profil"), format="thunderbird", dry_run=True)
    report.counts.update(accounts_added=n, sent=n, duplicate=n)
    lines = report.summary(AsyncMailer(outbox=None).translator, "pl")
    assert lines[0].startswith("Próbny przebieg: niczego nie zmieniono.")
    assert accounts in lines
    assert any(line.startswith(sent) for line in lines), lines
    assert not any("dodano" in line or "zostało dodanych" in line for line in lines), lines
    done = ImportReport(source=Path("profil"), format="thunderbird")
    done.counts.update(accounts_added=n)
    assert done.summary(AsyncMailer(outbox=None).translator, "pl")[0].startswith(
        "Do ustawień e-mail dodano"
    )


FORBIDDEN_IN_POLISH = {
    r"\b\w+(łeś|łaś)\b": "address the user without a grammatical gender",
    r"kolejk|skrzyn\w* nadawcz": "the outbox is „bufor poczty”",
    r"magazyn\w* sekretów": "the secret store is „magazyn haseł”",
    r"szyfrowanie konta|port, szyfrowanie|port i szyfrowanie|portu i szyfrowania"
    r"|ustawieni\w* szyfrowania|trybu szyfrowania": "security is „zabezpieczenie połączenia”",
    r"\b(w polu|pole) (to|subject|cc|bcc|from|text|html)\b": "fields by their Polish names",
    r"which cites|could not be|was not": "no English inside a Polish sentence",
}


def test_polish_catalogs_follow_the_translators_guide() -> None:
    # Before: "kolejka" and "skrzynka nadawcza" beside „bufor poczty”, "magazyn sekretów"
    # beside „magazyn haseł”, "szyfrowanie" for the security setting.
    from babel.messages.pofile import read_po

    from mailplug_smtp import replies

    # The SMTP reply keys' sentences have their own owner and review (issue 11, part A).
    reply_keys = {v.key for v in vars(replies).values() if isinstance(v, ErrorSpec)}
    roots = [Path("src/mailplug/locales/pl"), Path("locales/pl")]
    broken = []
    for po in [p for r in roots for p in r.glob("LC_MESSAGES/*.po")]:
        with po.open("rb") as fh:
            for m in read_po(fh):
                if (m.context or "").removesuffix(".advice") in reply_keys:
                    continue
                forms = m.string if isinstance(m.string, (list, tuple)) else (m.string,)
                for form in forms:
                    for pattern, rule in FORBIDDEN_IN_POLISH.items():
                        if re.search(pattern, form):
                            broken.append(f"{po}:{m.lineno}: {rule}: {form}")
    assert broken == []


def test_text_problems_name_the_field_in_polish() -> None:
    # Before: "Nie można wysłać wiadomości: subject zawiera znaki …" (the English name).
    from mailplug import keys

    text = keys.MESSAGE_INVALID_TEXT.error(field="subject").message("pl")
    assert text.startswith("Nie można wysłać wiadomości: „Temat” zawiera znaki")
    html = keys.MESSAGE_UNDECODABLE.error(field="html", charset="x-mac").message("pl")
    assert html.startswith("Nie można wysłać wiadomości: „HTML” nie jest tekstem UTF-8")
    body = keys.MESSAGE_UNDECODABLE.error(field="text", charset="x-mac").message("pl")
    assert body.startswith("Nie można wysłać wiadomości: „Treść” nie jest")


def test_a_broken_language_package_is_logged_and_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    site = tmp_path / "site"
    info = site / "mailplug_lang_xx-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mailplug-lang-xx\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        '[mailplug.catalogs]\nxx = mailplug_lang_missing\nyy = "malformed"\n'
    )
    (info / "RECORD").write_text("")
    activate(monkeypatch, site)
    caplog.set_level("WARNING", logger="mailplug.i18n")
    mailer = AsyncMailer(outbox=None)
    assert not {"xx", "yy"} & set(mailer.translator.languages())
    assert "language package xx" in caplog.text and "language package yy" in caplog.text


def test_the_advice_migration_keys_old_catalogs_and_is_idempotent() -> None:
    # scripts/advice_context.py: run again after merging catalogs that still have old entries.
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "scripts" / "advice_context.py"
    spec = importlib.util.spec_from_file_location("advice_context", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    old = (
        'msgid ""\nmsgstr ""\n\n'
        'msgctxt "a.one"\nmsgid "One."\nmsgstr "Jeden."\n\n'
        'msgid "Shared advice."\nmsgstr "Wspólna rada."\n\n'
        'msgctxt "a.two"\nmsgid "Two."\nmsgstr "Dwa."\n'
    )
    advice_of = {"a.one": "Shared advice.", "a.two": "Shared advice."}
    known = {"Shared advice.": ['msgstr "Wspólna rada."']}
    new = module.migrate(old, advice_of, known)
    assert new.count('msgctxt "a.one.advice"') == 1 and new.count('msgctxt "a.two.advice"') == 1
    assert new.count('msgstr "Wspólna rada."') == 2
    assert '\n\nmsgid "Shared advice."' not in new  # no context-less copy is left
    assert module.migrate(new, advice_of, known) == new


async def test_a_server_that_hangs_up_at_once_is_named_in_polish() -> None:
    # Before: "Serwer … zamknął połączenie podczas connect." (an English word).
    import asyncio

    from tests.test_smtp_transport import failure

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5}
    account = {"name": "x", "email": "a@example.com", "transport": "smtp", "auth": None}
    try:
        err = await asyncio.wait_for(failure({**account, "settings": settings}), 20)
    finally:
        server.close()
        await server.wait_closed()
    assert err.key == "smtp.disconnected"
    shown = AsyncMailer(outbox=None).localize(err)
    assert shown.message("pl").endswith("zamknął połączenie podczas powitania.")
    assert shown.message("en").endswith("closed the connection during the greeting.")
