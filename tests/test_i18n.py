"""Translation: locale choice, per-message fallback, catalogs from plugins, i18n check."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mailplug import AsyncMailer, hookimpl, keys
from mailplug.cli import main
from mailplug.errors import Category, ErrorSpec, Text
from mailplug.i18n import Translator, default_translator, detect_locale, normalize_lang

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "en"),
        ({"LANG": "pl_PL.UTF-8"}, "pl_PL"),
        ({"LANG": "pl_PL.UTF-8", "LC_MESSAGES": "en_GB.UTF-8"}, "en_GB"),
        ({"LANG": "de_DE", "LC_MESSAGES": "en_GB", "LC_ALL": "pl_PL@euro"}, "pl_PL"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        # GNU gettext's LANGUAGE list wins over the locale, except under C/POSIX.
        ({"LANGUAGE": "pl:en", "LANG": "en_US.UTF-8"}, "pl"),
        ({"LANGUAGE": "pl_PL:en"}, "pl_PL"),
        ({"LANGUAGE": "pl", "LC_ALL": "C"}, "en"),
    ],
)
def test_detect_locale_order(env: dict[str, str], expected: str) -> None:
    assert detect_locale(None, env) == expected
    assert detect_locale("pl", env) == "pl"


def test_normalize() -> None:
    assert normalize_lang("pt-br") == "pt_BR"
    assert normalize_lang("PL") == "pl"


def test_environment_language_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "pl_PL.UTF-8")
    err = keys.MESSAGE_NO_RECIPIENTS.error()
    assert err.message() == "Wiadomość nie ma odbiorców."
    assert err.message("en") == "The message has no recipients."


def test_fallback_to_english_per_message_never_a_raw_key(tmp_path: Path) -> None:
    po = tmp_path / "de.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgctxt "message.no_recipients"\n'
        'msgid "The message has no recipients."\n'
        'msgstr "Die Nachricht hat keine Empfänger."\n',
        encoding="utf-8",
    )
    base = default_translator()
    t = Translator({**{lang: base.sources(lang) for lang in base.languages()}, "de": [po]})
    assert t.gettext(keys.MESSAGE_NO_RECIPIENTS.message_text, "de") == (
        "Die Nachricht hat keine Empfänger."
    )
    # Not translated into German: English, not the key.
    assert t.gettext(keys.FILE_PROBLEM.message_text, "de_AT").startswith(
        "There is a problem with the e-mail file"
    )
    unknown = Text("Never translated {x}", context="nowhere.key")
    assert t.gettext(unknown, "pl") == "Never translated {x}"


def test_polish_plurals() -> None:
    from mailplug.texts import WAITING

    t = default_translator()
    got = [t.gettext(WAITING, "pl", n=n) for n in (1, 2, 5, 12, 22, 101)]
    assert got == [
        "1 wiadomość czeka na wysłanie.",
        "2 wiadomości czekają na wysłanie.",
        "5 wiadomości czeka na wysłanie.",
        "12 wiadomości czeka na wysłanie.",
        "22 wiadomości czekają na wysłanie.",
        "101 wiadomości czeka na wysłanie.",
    ]
    assert t.gettext(WAITING, "en", n=3) == "3 messages are waiting to be sent."


def test_a_plugin_adds_a_language_through_the_hook(tmp_path: Path) -> None:
    po = tmp_path / "cs.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgctxt "message.no_recipients"\n'
        'msgid "The message has no recipients."\n'
        'msgstr "Zpráva nemá žádné příjemce."\n',
        encoding="utf-8",
    )
    spec = ErrorSpec("czech.test", Category.SERVER, True, "Czech test.", "Czech advice.")

    class Czech:
        @hookimpl
        def mailplug_register_catalogs(self, register: object) -> None:
            register("cs", po)  # type: ignore[operator]

        @hookimpl
        def mailplug_register_messages(self, register: object) -> None:
            register(spec)  # type: ignore[operator]

    mailer = AsyncMailer(outbox=None, plugins=[Czech()], entry_points=False)
    assert "cs" in mailer.translator.languages()
    err = mailer.localize(keys.MESSAGE_NO_RECIPIENTS.error())
    assert err.message("cs") == "Zpráva nemá žádné příjemce."
    assert mailer.plugins.errors["czech.test"] is spec


def test_i18n_check_is_clean_for_builtin_languages(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["i18n", "check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for lang in ("pl", "en"):
        assert report["languages"][lang]["complete"], report["languages"][lang]


def test_i18n_check_fails_for_incomplete_required_language(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["i18n", "check", "--require", "xx"]) == 78
    assert "xx: no catalog installed" in capsys.readouterr().out


def test_i18n_update_and_extract_for_translators(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "de" / "mailplug.po"
    assert main(["i18n", "update", "de", str(target), "--plugin", "core"]) == 0
    text = target.read_text(encoding="utf-8")
    assert 'msgctxt "file.problem"' in text and 'msgstr ""' in text
    pot = tmp_path / "mailplug.pot"
    assert main(["i18n", "extract", "-o", str(pot)]) == 0
    assert 'msgctxt "account.not_configured"' in pot.read_text(encoding="utf-8")


@pytest.mark.skipif(not SEED.is_dir(), reason="seed article not present")
def test_every_seed_config_file_and_version_message_is_verbatim_in_polish() -> None:
    seed = "".join(p.read_text(encoding="utf-8") for p in SEED.glob("*.txt"))
    t = default_translator()
    wanted = {
        keys.ACCOUNT_NOT_CONFIGURED: "Nie skonfigurowano poprawnie konta pocztowego",
        keys.ACCOUNT_INVALID_SETTINGS: "Nieprawidłowe lub niekompletne ustawienia konta pocztowego",
        keys.ACCOUNT_SETTINGS_PROBLEM: "Problem z ustawieniami konta pocztowego",
        keys.FILE_PROBLEM: "Problem z plikiem e-mail",
        keys.VERSION_TOO_OLD: (
            "obsługujący pocztę elektroniczną jest w wersji starszej, niż wymagana"
        ),
        keys.VERSION_UNSUPPORTED: "w nieprawidłowej wersji",
    }
    for spec, sentence in wanted.items():
        assert re.sub(r"\s+", " ", sentence) in seed
        assert sentence.lower() in t.gettext(spec.message_text, "pl").lower(), spec.key
    # The seed's restart advice where a lock is the cause, and only there.
    restart = "Zrestartuj program i sprawdź, czy inne aplikacje nie blokują tego pliku."
    assert restart in t.gettext(keys.FILE_LOCKED.advice_text, "pl")
    for spec in (
        keys.FILE_PROBLEM,
        keys.FILE_MISSING,
        keys.FILE_UNREADABLE,
        keys.FILE_IS_FOLDER,
        keys.FILE_EMPTY,
    ):
        assert t.gettext(spec.message_text, "pl").startswith("Problem z plikiem e-mail"), spec.key
        assert "Zrestartuj" not in t.gettext(spec.advice_text, "pl"), spec.key


def test_i18n_check_catches_misspelled_and_dropped_placeholders(tmp_path: Path) -> None:
    from mailplug.i18n import Translator
    from mailplug.text import Text

    po = tmp_path / "xx.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgid "Server {host} replied: {reply}"\nmsgstr "Serwer {hots} odpowiedział: {reply}"\n\n'
        'msgid "Recipient: {recipient}"\nmsgstr "Odbiorca"\n\n'
        'msgid "Server: {host}"\nmsgstr "Serwer: {host}"\n\n'
        'msgid "{n} file"\nmsgid_plural "{n} files"\n'
        'msgstr[0] "jeden plik"\nmsgstr[1] "{n} pliki"\n',
        encoding="utf-8",
    )
    texts = [
        Text("Server {host} replied: {reply}"),
        Text("Recipient: {recipient}"),
        Text("Server: {host}"),
        Text("{n} file", plural="{n} files"),
    ]
    report = Translator({"xx": [po]}).report("xx", texts)
    assert [t.msgid for t in report.placeholders] == [
        "Server {host} replied: {reply}",
        "Recipient: {recipient}",
    ]
    assert not report.complete
