"""What is wrong with a field, in words a translator can translate.

pydantic describes a bad value in English ("Input should be a valid datetime");
:func:`problem_for` maps its error type to one of these texts instead, so a
``message.invalid`` sentence in Polish holds no English.  The texts are the
``problem`` parameter of :data:`~mailplug.keys.MESSAGE_INVALID` and
:data:`~mailplug.keys.ACCOUNT_INVALID_SETTINGS`, translated with msgctxt
``problem`` (see ``ErrorSpec.translated``).
"""

from __future__ import annotations

from .text import Text


def _p(msgid: str) -> Text:
    return Text(msgid, context="problem")


REQUIRED = _p("this field is required")
TEXT = _p("must be text")
WHOLE_NUMBER = _p("must be a whole number")
NUMBER = _p("must be a number")
YES_NO = _p("must be true or false")
DATETIME = _p("must be a date and time, for example 2026-12-04 07:06")
DATE = _p("must be a date, for example 2026-12-04")
UNKNOWN_FIELD = _p("is not a known field")
LIST = _p("must be a list")
TABLE = _p("must be a table of fields")
TOO_SHORT = _p("is too short")
TOO_LONG = _p("is too long")
OUT_OF_RANGE = _p("is outside the allowed range")
NOT_ALLOWED = _p("is not one of the allowed values")
PATH = _p("must be a file path")
INVALID = _p("the value is not valid")
FILE_OR_CONTENT = _p("give either a file path or the content bytes")
NOT_A_HEADER = _p("not a header name")
OWN_FIELD = _p("set this header through its own field")

#: pydantic error type (or its prefix before ``_``) → the text.
_BY_TYPE: dict[str, Text] = {
    "missing": REQUIRED,
    "string": TEXT,
    "int": WHOLE_NUMBER,
    "float": NUMBER,
    "decimal": NUMBER,
    "bool": YES_NO,
    "datetime": DATETIME,
    "date": DATE,
    "extra_forbidden": UNKNOWN_FIELD,
    "list": LIST,
    "tuple": LIST,
    "set": LIST,
    "dict": TABLE,
    "model": TABLE,
    "too_short": TOO_SHORT,
    "too_long": TOO_LONG,
    "string_too_short": TOO_SHORT,
    "string_too_long": TOO_LONG,
    "greater": OUT_OF_RANGE,
    "less": OUT_OF_RANGE,
    "literal_error": NOT_ALLOWED,
    "enum": NOT_ALLOWED,
    "path": PATH,
}

#: A message field's name as the user reads it (the ``field`` parameter, msgctxt
#: ``field``): „Do”, „Temat” in Polish rather than ``to``, ``subject``.
FIELD_NAMES: dict[str, Text] = {
    name: Text(name, context="field")
    for name in (
        "to",
        "cc",
        "bcc",
        "reply_to",
        "from",
        "sender",
        "subject",
        "attachments",
        "send_at",
        "text",
        "html",
        "headers",
    )
}

PROBLEM_TEXTS: tuple[Text, ...] = tuple(
    v for v in list(globals().values()) if isinstance(v, Text)
) + tuple(FIELD_NAMES.values())


def problem_for(error_type: str) -> str:
    """The English msgid for a pydantic error type (``datetime_parsing`` → a date and time)."""
    found = _BY_TYPE.get(error_type) or _BY_TYPE.get(error_type.split("_", 1)[0])
    return (found or INVALID).msgid
