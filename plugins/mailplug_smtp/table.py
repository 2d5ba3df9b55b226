"""How a reply table works: rows of conditions → meaning, and a reply made ready for them.

A table (:data:`mailplug_smtp.rules.RULES`, a provider's rows in
:mod:`mailplug_smtp.providers`) is an ordered tuple of :class:`Rule` rows;
:func:`parse` normalises a reply once, and :func:`match` returns the key of the
first row whose conditions all hold and whose :class:`Meaning` has a key for
the reply's class (5xx permanent, 4xx temporary).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailplug.plugin import ErrorSpec, ServerReply

__all__ = [
    "AUTH_STAGES",
    "EnhancedFilter",
    "Meaning",
    "ParsedReply",
    "Pattern",
    "Rule",
    "match",
    "parse",
    "pattern",
    "rule",
    "tier",
]


@dataclass(frozen=True, slots=True)
class Meaning:
    """What a reply means: the key for a permanent (5xx) and a temporary (4xx) reply.

    A meaning without a key for the reply's class does not apply, and the
    table goes on to the next rule.
    """

    permanent: ErrorSpec | None = None
    temporary: ErrorSpec | None = None

    def for_class(self, klass: int) -> ErrorSpec | None:
        return self.temporary if klass == 4 else self.permanent


@dataclass(frozen=True, slots=True)
class Pattern:
    """A named, case-insensitive text pattern (the name is what the docs show)."""

    name: str
    regex: re.Pattern[str]

    def search(self, text: str) -> bool:
        return self.regex.search(text) is not None


def pattern(name: str, *alternatives: str) -> Pattern:
    return Pattern(name, re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE))


@dataclass(frozen=True, slots=True)
class EnhancedFilter:
    """``7.8`` (subject.detail), ``7`` (any detail) or ``7.500-699`` (a range)."""

    subject: int
    low: int | None = None
    high: int | None = None

    @classmethod
    def parse(cls, value: str) -> EnhancedFilter:
        subject, _, detail = value.partition(".")
        if not detail:
            return cls(int(subject))
        low, _, high = detail.partition("-")
        return cls(int(subject), int(low), int(high or low))

    def matches(self, subject: int, detail: int) -> bool:
        if subject != self.subject:
            return False
        if self.low is None or self.high is None:
            return True
        return self.low <= detail <= self.high

    def __str__(self) -> str:
        if self.low is None:
            return f"x.{self.subject}.*"
        if self.low == self.high:
            return f"x.{self.subject}.{self.low}"
        return f"x.{self.subject}.{self.low}–{self.high}"


@dataclass(frozen=True, slots=True)
class ParsedReply:
    """A reply ready for the table: class, codes, stage and normalised text."""

    klass: int
    code: int | None
    subject: int | None
    detail: int | None
    enhanced: str | None
    stage: str
    text: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table: conditions (all given ones must hold) → meaning."""

    meaning: Meaning
    codes: frozenset[int] = frozenset()
    enhanced: tuple[EnhancedFilter, ...] = ()
    stages: frozenset[str] = frozenset()
    text: Pattern | None = None
    not_codes: frozenset[int] = frozenset()
    tier: str = ""

    def matches(self, reply: ParsedReply) -> bool:
        if self.codes and reply.code not in self.codes:
            return False
        if self.not_codes and reply.code in self.not_codes:
            return False
        if self.stages and reply.stage not in self.stages:
            return False
        if self.enhanced:
            if reply.subject is None or reply.detail is None:
                return False
            if not any(f.matches(reply.subject, reply.detail) for f in self.enhanced):
                return False
        return self.text is None or self.text.search(reply.text)


def rule(
    meaning: Meaning,
    *,
    code: int | tuple[int, ...] = (),
    enh: str | tuple[str, ...] = (),
    stage: str | frozenset[str] | tuple[str, ...] = (),
    text: Pattern | None = None,
    not_code: int | tuple[int, ...] = (),
) -> Rule:
    """A :class:`Rule` written compactly: ``rule(M, code=535, enh="7.8", stage="auth")``."""
    codes = (code,) if isinstance(code, int) else code
    not_codes = (not_code,) if isinstance(not_code, int) else not_code
    enhs = (enh,) if isinstance(enh, str) else enh
    stages = (stage,) if isinstance(stage, str) else tuple(stage)
    return Rule(
        meaning,
        codes=frozenset(codes),
        enhanced=tuple(EnhancedFilter.parse(e) for e in enhs),
        stages=frozenset(stages),
        text=text,
        not_codes=frozenset(not_codes),
    )


def tier(name: str, *rules: Rule) -> tuple[Rule, ...]:
    return tuple(
        Rule(r.meaning, r.codes, r.enhanced, r.stages, r.text, r.not_codes, name) for r in rules
    )


# --------------------------------------------------------------------------
# Parsing a reply
# --------------------------------------------------------------------------

_STAGES = {
    "connect": "connect",
    "connection": "connect",
    "greeting": "connect",
    "banner": "connect",
    "helo": "ehlo",
    "ehlo": "ehlo",
    "lhlo": "ehlo",
    "starttls": "starttls",
    "tls": "starttls",
    "auth": "auth",
    "login": "auth",
    "mail": "mail",
    "mail from": "mail",
    "sender": "mail",
    "rcpt": "rcpt",
    "rcpt to": "rcpt",
    "recipient": "rcpt",
    "data": "data",
    "bdat": "data",
    "message": "data",
    "quit": "quit",
    "rset": "rset",
}
#: Stages where a reply is about logging in (the auth-only enhanced codes count here).
AUTH_STAGES = frozenset({"auth", "connect", "ehlo", "starttls", ""})

_CODE_PREFIX = re.compile(r"^\s*([2-5]\d\d)(?:[ -]|$)")
_ENHANCED_PREFIX = re.compile(r"^\s*\(?#?([245])\.(\d{1,3})\.(\d{1,3})\)?(?=[\s:;,.)]|$)")
# Anywhere in the text (qmail's "(#5.7.1)", Exchange's "#5.1.10"), but not inside
# an IP address or a version number.
_ENHANCED_ANYWHERE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
_SPACES = re.compile(r"\s+")


def _split_enhanced(value: str | None) -> tuple[int, int, int] | None:
    if not value:
        return None
    m = _ENHANCED_PREFIX.match(value)
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def parse(reply: ServerReply, *, stage: str = "") -> ParsedReply | None:
    """Normalise a reply for the table, or ``None`` when it is not a 4xx/5xx failure.

    The reply code and enhanced code are taken from the text when the fields
    are empty (``"550 5.1.1 <x>: user unknown"``); both are removed from the
    start of every line, and the text is lower-cased with whitespace collapsed.
    """
    code = reply.code
    enhanced = _split_enhanced(reply.enhanced)
    lines = []
    for raw in (reply.text or "").replace("\r", "\n").split("\n"):
        line = raw
        m = _CODE_PREFIX.match(line)
        if m is not None:
            if code is None:
                code = int(m.group(1))
            line = line[m.end() :]
        e = _ENHANCED_PREFIX.match(line)
        if e is not None:
            if enhanced is None:
                enhanced = (int(e.group(1)), int(e.group(2)), int(e.group(3)))
            line = line[e.end() :]
        lines.append(line)
    text = _SPACES.sub(" ", " ".join(lines)).strip().lower().replace("’", "'")
    if enhanced is None:
        for m in _ENHANCED_ANYWHERE.finditer(text):
            candidate = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if code is None or candidate[0] == code // 100:
                enhanced = candidate
                break
    if code is not None and 400 <= code < 600:
        klass = code // 100
    elif code is None and enhanced is not None and enhanced[0] in (4, 5):
        klass = enhanced[0]
    else:
        return None
    return ParsedReply(
        klass=klass,
        code=code,
        subject=enhanced[1] if enhanced else None,
        detail=enhanced[2] if enhanced else None,
        enhanced=".".join(map(str, enhanced)) if enhanced else None,
        stage=_STAGES.get((stage or "").strip().lower(), ""),
        text=text,
    )


def match(reply: ParsedReply, rules: tuple[Rule, ...]) -> ErrorSpec | None:
    """The key of the first rule that matches ``reply`` and has one for its class."""
    for r in rules:
        if r.matches(reply):
            spec = r.meaning.for_class(reply.klass)
            if spec is not None:
                return spec
    return None
