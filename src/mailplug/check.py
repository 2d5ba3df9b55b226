"""The account check: "why does my account not work?" answered step by step, before a send.

::

    report = await mailer.check_account("biuro", rcpt="jan@example.pl")
    if not report.ok:
        step = report.failure                    # the first step that failed
        print(step.error.message("pl"))          # what is wrong, in Polish
        print(step.fix.setting, step.fix.value)  # e.g. settings.security → "starttls"
    print(json.dumps(report.to_dict("pl")))      # for a host's settings dialog

Steps, in the order a session takes them: ``setup`` (the mail component,
plugins and settings) → ``connect`` → ``greeting`` → ``ehlo`` → ``tls`` →
``auth`` (mechanisms offered) → ``login`` → ``mail_from`` / ``rcpt_to``
(only with a test recipient; nothing is sent, the transaction ends with
RSET) → ``imap_connect`` → ``imap_login`` (when the account has IMAP
settings).  For implicit TLS the ``tls`` step comes before the greeting.
Each step is passed, failed or skipped, records what was seen and, on
failure, the error (localized message and advice) and a :class:`Fix` naming
the setting to change and — when probing found it — the value that works.

This module holds what a check is made of (:class:`CheckReport`, its steps,
:class:`Fix`, :class:`Note`) and what a probe is (:class:`Probe`).  Probes
come from plugins through :func:`~mailplug.hookspecs.mailplug_register_probes`:
the SMTP plugin probes ``smtp`` accounts step by step, the IMAP plugin the
account's IMAP settings.  :mod:`mailplug.checking` runs the setup step and
the probes.
"""

from __future__ import annotations

import enum
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from . import check_keys as ck
from .errors import ErrorSpec, MailplugError
from .text import Text, format_when
from .text import fill as _format

if TYPE_CHECKING:
    from .auth import Authenticator
    from .i18n import Translator
    from .models import Account
    from .presets import PresetRegistry
    from .services import Services
    from .transport import Transport

__all__ = [
    "CheckOptions",
    "CheckReport",
    "CheckStep",
    "Fix",
    "Note",
    "Probe",
    "StepStatus",
    "tls_facts",
]

#: Other submission ports tried when the configured one does not work.
DEFAULT_TRY_PORTS: Mapping[int, str] = {465: "tls", 587: "starttls", 25: "starttls"}


class StepStatus(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Note:
    """A translatable line: a :class:`~mailplug.errors.Text` and its parameters.

    A parameter that is a :class:`~mailplug.errors.MailplugError` renders as
    its localized message.
    """

    text: Text
    params: Mapping[str, Any] = field(default_factory=dict)
    n: int | None = None

    def render(self, lang: str | None, translator: Translator) -> str:
        params = {k: self._value(v, lang, translator) for k, v in self.params.items()}
        return _format(translator.gettext(self.text, lang, n=self.n), params)

    @staticmethod
    def _value(value: Any, lang: str | None, translator: Translator) -> Any:
        if isinstance(value, MailplugError):
            return value.message(lang, translator=translator)
        if isinstance(value, datetime):  # a moment in the reader's form (babel)
            return format_when(value, lang or translator.lang)
        return value


@dataclass(frozen=True, slots=True)
class Fix:
    """The setting to change, and the value that would work when it could be found.

    :ivar setting: dotted path in the account (``settings.security``,
        ``auth_settings.password``, ``email``, ``imap.port`` …).
    :ivar value: the value that works, ``None`` when it cannot be known.
    :ivar also: further changes that belong to the same fix (port with security).
    """

    setting: str
    value: Any = None
    also: tuple[tuple[str, Any], ...] = ()

    @property
    def changes(self) -> dict[str, Any]:
        """Every setting → value of the fix (values may be ``None``)."""
        return {self.setting: self.value, **dict(self.also)}

    def label(self, setting: str, lang: str | None, translator: Translator) -> str:
        text = ck.SETTING_LABELS.get(setting)
        if text is None:
            return setting
        return _format(
            translator.gettext(ck.SETTING_NAMED, lang),
            {"label": translator.gettext(text, lang), "setting": setting},
        )

    def render(self, lang: str | None, translator: Translator) -> str:
        first = self.label(self.setting, lang, translator)
        if self.value is None:
            return _format(translator.gettext(ck.FIX_CHECK, lang), {"setting": first})
        extra = [(k, v) for k, v in self.also if v is not None]
        if extra:
            setting2, value2 = extra[0]
            return _format(
                translator.gettext(ck.FIX_CHANGE_TWO, lang),
                {
                    "setting": first,
                    "value": self.value,
                    "setting2": self.label(setting2, lang, translator),
                    "value2": value2,
                },
            )
        return _format(
            translator.gettext(ck.FIX_CHANGE, lang), {"setting": first, "value": self.value}
        )


@dataclass(slots=True)
class CheckStep:
    """One step of the check.

    :ivar name: stable step name (``connect``, ``tls``, ``login`` …).
    :ivar status: passed, failed or skipped.
    :ivar seen: what was observed, JSON-ready (host, TLS version, offered mechanisms …).
    :ivar summary: one line describing what was seen (or why it was skipped).
    :ivar error: why it failed (a localized mailplug error).
    :ivar fix: the setting to change.
    :ivar notes: further remarks (certificate expiring soon, provider hints …).
    """

    name: str
    status: StepStatus
    seen: dict[str, Any] = field(default_factory=dict)
    summary: Note | str | None = None
    error: MailplugError | None = None
    fix: Fix | None = None
    notes: list[Note] = field(default_factory=list)
    duration: float = 0.0

    @property
    def title(self) -> Text:
        return ck.STEP_TITLES.get(self.name) or Text(self.name)

    @property
    def ok(self) -> bool:
        return self.status is not StepStatus.FAILED

    def _summary(self, lang: str | None, translator: Translator) -> str | None:
        if isinstance(self.summary, Note):
            return self.summary.render(lang, translator)
        return self.summary

    def to_dict(self, lang: str | None = None, *, translator: Translator) -> dict[str, Any]:
        error: dict[str, Any] | None = None
        if self.error is not None:
            error = self.error.to_dict(lang, translator=translator)
            error["setting"] = self.fix.setting if self.fix else None
            error["setting_label"] = (
                translator.gettext(ck.SETTING_LABELS[self.fix.setting], lang)
                if self.fix and self.fix.setting in ck.SETTING_LABELS
                else None
            )
            error["suggested_value"] = self.fix.value if self.fix else None
            error["changes"] = self.fix.changes if self.fix else {}
            error["fix"] = self.fix.render(lang, translator) if self.fix else None
            error["details"] = self.error.details(lang, translator=translator)
        return {
            "name": self.name,
            "title": translator.gettext(self.title, lang),
            "status": str(self.status),
            "summary": self._summary(lang, translator),
            "seen": self.seen,
            "notes": [n.render(lang, translator) for n in self.notes],
            "error": error,
            "duration": round(self.duration, 3),
        }

    def render(self, lang: str | None, translator: Translator) -> list[str]:
        status = {
            StepStatus.PASSED: ck.STATUS_PASSED,
            StepStatus.FAILED: ck.STATUS_FAILED,
            StepStatus.SKIPPED: ck.STATUS_SKIPPED,
        }[self.status]
        head = f"[{translator.gettext(status, lang)}] {translator.gettext(self.title, lang)}"
        summary = self._summary(lang, translator)
        lines = [f"  {head}: {summary}" if summary else f"  {head}"]
        if self.error is not None:
            lines.append("      " + self.error.message(lang, translator=translator))
            lines += ["      " + d for d in self.error.details(lang, translator=translator)]
            advice = self.error.advice(lang, translator=translator)
            lines.append(
                "      " + _format(translator.gettext(ck.ADVICE_LABEL, lang), {"advice": advice})
            )
            if self.fix is not None:
                lines.append("      → " + self.fix.render(lang, translator))
        lines += ["      " + n.render(lang, translator) for n in self.notes]
        return lines


@dataclass
class CheckReport:
    """Every step of one account check, in the order they were taken."""

    account: str
    transport: str = ""
    where: str = ""
    steps: list[CheckStep] = field(default_factory=list)
    #: Set by the mailer so rendering uses its catalogs.
    translator: Translator | None = None
    _mark: float = field(default_factory=time.monotonic, repr=False)

    # -- building -----------------------------------------------------------

    def add(self, step: CheckStep) -> CheckStep:
        now = time.monotonic()
        if not step.duration and step.status is not StepStatus.SKIPPED:
            step.duration = now - self._mark
        self._mark = now
        self.steps.append(step)
        return step

    def passed(
        self,
        name: str,
        *,
        seen: dict[str, Any] | None = None,
        summary: Note | str | None = None,
        notes: list[Note] | None = None,
    ) -> CheckStep:
        return self.add(
            CheckStep(name, StepStatus.PASSED, seen or {}, summary, notes=list(notes or []))
        )

    def failed(
        self,
        name: str,
        error: MailplugError,
        *,
        fix: Fix | None = None,
        seen: dict[str, Any] | None = None,
        summary: Note | str | None = None,
        notes: list[Note] | None = None,
    ) -> CheckStep:
        return self.add(
            CheckStep(name, StepStatus.FAILED, seen or {}, summary, error, fix, list(notes or []))
        )

    def skipped(self, name: str, reason: Note, *, seen: dict[str, Any] | None = None) -> CheckStep:
        return self.add(CheckStep(name, StepStatus.SKIPPED, seen or {}, reason))

    def skip_rest(self, names: list[str], reason: Note | None = None) -> None:
        """Add every step of ``names`` not taken yet as skipped."""
        taken = {s.name for s in self.steps}
        for name in names:
            if name not in taken:
                self.skipped(name, reason or Note(ck.SKIP_AFTER_FAILURE))

    def extend(self, other: CheckReport) -> None:
        self.steps.extend(other.steps)
        self.where = self.where or other.where
        self._mark = time.monotonic()

    # -- reading ------------------------------------------------------------

    def step(self, name: str) -> CheckStep | None:
        return next((s for s in self.steps if s.name == name), None)

    @property
    def ok(self) -> bool:
        """No step failed."""
        return all(s.ok for s in self.steps)

    @property
    def failures(self) -> list[CheckStep]:
        return [s for s in self.steps if s.status is StepStatus.FAILED]

    @property
    def failure(self) -> CheckStep | None:
        """The first step that failed (the one to fix first)."""
        failures = self.failures
        return failures[0] if failures else None

    def _translator(self, translator: Translator | None) -> Translator:
        if translator is not None:
            return translator
        if self.translator is not None:
            return self.translator
        from .i18n import default_translator

        return default_translator()

    def headline(self, lang: str | None = None, *, translator: Translator | None = None) -> str:
        t = self._translator(translator)
        failure = self.failure
        if failure is None:
            return _format(t.gettext(ck.REPORT_OK, lang), {"account": self.account})
        return _format(
            t.gettext(ck.REPORT_FAILED, lang),
            {"account": self.account, "step": t.gettext(failure.title, lang)},
        )

    def to_dict(
        self, lang: str | None = None, *, translator: Translator | None = None
    ) -> dict[str, Any]:
        """The JSON a host's settings dialog shows (``accounts test --json``)."""
        t = self._translator(translator)
        failure = self.failure
        return {
            "account": self.account,
            "transport": self.transport,
            "where": self.where,
            "ok": self.ok,
            "summary": self.headline(lang, translator=t),
            "failed_step": failure.name if failure else None,
            "steps": [s.to_dict(lang, translator=t) for s in self.steps],
        }

    def render(self, lang: str | None = None, *, translator: Translator | None = None) -> str:
        """The report as lines of text (``accounts test``)."""
        t = self._translator(translator)
        where = self.where or self.transport
        lines = [
            _format(t.gettext(ck.REPORT_HEADER, lang), {"account": self.account, "where": where})
        ]
        for step in self.steps:
            lines += step.render(lang, t)
        lines.append(self.headline(lang, translator=t))
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """How the check probes.

    :ivar timeout: seconds for each step (connect, each reply); the account's
        own timeouts apply when they are shorter.
    :ivar probe_timeout: seconds for each quick probe of another port or mode.
    :ivar try_ports: other ports (port → security) tried when the configured
        one does not work; empty to try none.
    :ivar require: the mailplug version the host needs (``">=0.2"``).
    :ivar presets: provider presets, for suggesting a server.
    :ivar errors: every registered error spec by key (to reuse a plugin's keys).
    """

    timeout: float = 10.0
    probe_timeout: float = 3.0
    try_ports: Mapping[int, str] = field(default_factory=lambda: dict(DEFAULT_TRY_PORTS))
    require: str | None = None
    presets: PresetRegistry | None = None
    errors: Mapping[str, ErrorSpec] = field(default_factory=dict)


# --------------------------------------------------------------------------
# TLS facts
# --------------------------------------------------------------------------


def _cert_name(parts: Any) -> str:
    values = {k: v for rdn in parts or () for (k, v) in rdn}
    return str(values.get("commonName") or values.get("organizationName") or "—")


def tls_facts(
    ssl_object: ssl.SSLObject | ssl.SSLSocket | None,
    *,
    verified: bool,
    hostname_checked: bool = True,
) -> dict[str, Any]:
    """What a TLS connection shows: version, cipher and the server certificate.

    :param verified: the certificate was checked (else ``getpeercert()`` is empty).
    :param hostname_checked: the name was checked too (a lenient peek does not).
    """
    if ssl_object is None:
        return {}
    cipher = ssl_object.cipher()
    facts: dict[str, Any] = {
        "version": ssl_object.version(),
        "cipher": cipher[0] if cipher else None,
        "verified": verified,
    }
    cert = ssl_object.getpeercert() if verified else None
    if cert:
        import datetime as dt

        facts["subject"] = _cert_name(cert.get("subject"))
        facts["issuer"] = _cert_name(cert.get("issuer"))
        sans: Any = cert.get("subjectAltName", ())
        facts["names"] = [v for k, v in sans if k in ("DNS", "IP Address")]
        for key in ("notBefore", "notAfter"):
            raw = cert.get(key)
            if isinstance(raw, str):
                when = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(raw), dt.UTC)
                facts["not_before" if key == "notBefore" else "not_after"] = when.isoformat()
        if "not_after" in facts:
            left = dt.datetime.fromisoformat(facts["not_after"]) - dt.datetime.now(dt.UTC)
            facts["days_left"] = left.days
        facts["hostname_matches"] = True if hostname_checked else None
    return facts


class Probe(Protocol):
    """Checks one side of an account step by step, without sending anything.

    Registered through :func:`~mailplug.hookspecs.mailplug_register_probes`
    under a name: a transport's name (``smtp``: run for accounts of that
    transport) or any other (``imap``: run for every account, after the
    transport's probe).

    :returns: the steps taken, or ``None`` when the probe does not apply.
    """

    async def __call__(
        self,
        account: Account,
        *,
        transport: Transport | None,
        auth: Authenticator | None,
        services: Services,
        rcpt: str | None,
        options: CheckOptions,
    ) -> CheckReport | None: ...
