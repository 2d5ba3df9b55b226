"""What big mail providers mean by their replies, beyond the RFCs.

Runs before the built-in reply table (:mod:`mailplug_smtp.rules`) through a
:func:`~mailplug.hookspecs.mailplug_classify_reply` implementation of its own,
so a provider's meaning wins over the generic one.  A provider is recognised by
the server's host name, or by its signature in the reply text (Gmail ends
every reply with ``gsmtp``; Microsoft points to ``aka.ms`` or
``*.outlook.com``).  Rules whose enhanced code only that provider uses (for
example Microsoft's ``5.7.139``) apply without recognising the provider.

Sources: Google's "SMTP errors and codes" (support.google.com/a/answer/3726730),
Microsoft's "Email non-delivery reports and SMTP errors in Exchange Online" and
the SMTP AUTH deprecation notes (aka.ms/smtp_auth_disabled), Yahoo's
postmaster error codes (postmaster.yahooinc.com/error-codes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailplug.plugin import Category, ErrorSpec, ServerReply

from . import replies, rules
from .table import AUTH_STAGES, Meaning, Rule, match, parse, pattern, rule, tier

__all__ = ["PROVIDERS", "PROVIDER_ERRORS", "Provider", "classify", "provider_for"]

C = Category
M = Meaning

# --------------------------------------------------------------------------
# Keys only providers need
# --------------------------------------------------------------------------

GOOGLE_INVALID_CREDENTIALS = ErrorSpec(
    "smtp.auth.invalid_credentials.google",
    C.AUTHENTICATION,
    False,
    "Google did not accept this login. Mail programs must log in with an app password or "
    "with Gmail (OAuth) login: the normal Google password is refused here even when it is "
    "correct.",
    "Enter the full Gmail address as the login. As the password use an app password (Google "
    "account → Security → 2-Step Verification → App passwords): the normal Google password "
    "does not work here. Or switch the account to Gmail (OAuth) login.",
    pauses="account",
)
#: 5.7.139 for an account that already logs in with Microsoft 365 (OAuth): OAuth does
#: not lift the organisation's switch, so the advice must not suggest it.
SMTP_AUTH_DISABLED_OAUTH = ErrorSpec(
    "smtp.auth.smtp_auth_disabled.oauth",
    C.AUTHENTICATION,
    False,
    "Logging in to send mail (SMTP AUTH) is disabled for this Microsoft 365 organisation or "
    "mailbox, even with the Microsoft 365 (OAuth) login this account already uses.",
    "Ask the Microsoft 365 administrator to turn on Authenticated SMTP for this mailbox "
    "(Microsoft 365 admin center → user → Mail → Manage email apps).",
    pauses="account",
)
MICROSOFT_INVALID_CREDENTIALS = ErrorSpec(
    "smtp.auth.invalid_credentials.microsoft",
    C.AUTHENTICATION,
    False,
    "Microsoft did not accept this login: the login or the password is wrong, or the "
    "account needs an app password or Microsoft 365 (OAuth) login.",
    "Check the login (the full e-mail address) and the password in the e-mail settings. If the "
    "account uses multi-factor authentication, use an app password or Microsoft 365 (OAuth) "
    "login; the administrator may also have to allow SMTP login for this mailbox.",
    pauses="account",
)
SMTP_AUTH_DISABLED = ErrorSpec(
    "smtp.auth.smtp_auth_disabled",
    C.AUTHENTICATION,
    False,
    "Logging in to send mail (SMTP AUTH) is disabled for this Microsoft 365 organisation or "
    "mailbox.",
    "Ask the Microsoft 365 administrator to turn on Authenticated SMTP for this mailbox "
    "(Microsoft 365 admin center → user → Mail → Manage email apps), or switch the account to "
    "Microsoft 365 (OAuth) login.",
    pauses="account",
)
BASIC_AUTH_DISABLED = ErrorSpec(
    "smtp.auth.basic_auth_disabled",
    C.AUTHENTICATION,
    False,
    "The provider no longer accepts logging in with a password (basic authentication is disabled).",
    "Switch the account to the provider's modern login (OAuth) in the account settings.",
    pauses="account",
)
AUTH_BLOCKED_BY_POLICY = ErrorSpec(
    "smtp.auth.blocked_by_policy",
    C.AUTHENTICATION,
    False,
    "The organisation's security policy blocked this login (for example, security defaults or "
    "conditional access).",
    "Contact the administrator of your organisation's mail: the login has to be allowed for "
    "this mailbox, or the account must use modern login (OAuth).",
    pauses="account",
)

PROVIDER_ERRORS: tuple[ErrorSpec, ...] = (
    GOOGLE_INVALID_CREDENTIALS,
    MICROSOFT_INVALID_CREDENTIALS,
    SMTP_AUTH_DISABLED,
    SMTP_AUTH_DISABLED_OAUTH,
    BASIC_AUTH_DISABLED,
    AUTH_BLOCKED_BY_POLICY,
)
"""Keys defined here (the rules also use keys of the generic table)."""


# --------------------------------------------------------------------------
# Providers
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Provider:
    """A provider: how to recognise it and the rules that are its own.

    :ivar hosts: matches the server's host name.
    :ivar signature: matches the (lower-cased) reply text.
    :ivar rules: apply when the provider is recognised.
    :ivar own_codes: apply whatever the host (codes no one else uses).
    """

    name: str
    hosts: re.Pattern[str]
    signature: re.Pattern[str]
    rules: tuple[Rule, ...] = ()
    own_codes: tuple[Rule, ...] = ()

    def recognises(self, host: str | None, text: str) -> bool:
        if host and self.hosts.search(host.lower()):
            return True
        return self.signature.search(text) is not None


_GOOGLE_HOSTS = re.compile(r"(?:^|\.)(?:gmail|googlemail|google)\.com\.?$")
_GOOGLE_SIGNATURE = re.compile(r"\bgsmtp\b|support\.google\.com|google\.com/mail")

GOOGLE = Provider(
    "google",
    _GOOGLE_HOSTS,
    _GOOGLE_SIGNATURE,
    rules=tier(
        "google",
        rule(M(replies.AUTH_APP_PASSWORD_REQUIRED), text=rules.P_APP_PASSWORD),
        rule(M(replies.AUTH_WEB_LOGIN_REQUIRED), enh="7.14"),
        rule(M(GOOGLE_INVALID_CREDENTIALS), code=535),
        rule(M(GOOGLE_INVALID_CREDENTIALS), enh="7.8", stage=AUTH_STAGES),
        # "454 4.7.0 Too many login attempts, please try again later."
        rule(M(replies.AUTH_TOO_MANY_ATTEMPTS), text=rules.P_LOGIN_ATTEMPTS),
        # "421 4.7.0 Try again later, closing connection": Gmail throttling the client.
        rule(
            M(None, replies.RATE_LIMITED_TEMPORARY),
            code=421,
            enh="7.0",
            text=pattern("try again later", r"try again later"),
        ),
        # "550 5.4.5 Daily user sending limit exceeded." / "Daily SMTP relay limit".
        rule(M(replies.DAILY_QUOTA, replies.DAILY_QUOTA), code=550, enh="4.5"),
        rule(M(replies.DAILY_QUOTA, replies.DAILY_QUOTA), text=rules.P_DAILY),
        # "452 4.5.3 Your message has too many recipients."
        rule(
            M(replies.RATE_TOO_MANY_RECIPIENTS, replies.RATE_TOO_MANY_RECIPIENTS_TEMPORARY),
            enh="5.3",
        ),
    ),
)

_MS_HOSTS = re.compile(
    r"(?:^|\.)(?:office365|outlook|hotmail|live|msn)\.com\.?$|\.protection\.outlook\.com\.?$"
)
_MS_SIGNATURE = re.compile(
    r"aka\.ms/|outlook\.com|office365|protection\.outlook|\bexchange online\b|"
    r"authentication unsuccessful|smtpclientauthentication|storedrv|\bas\(\d+\)"
)
_P_SMTP_AUTH_DISABLED = pattern(
    "SMTP AUTH disabled for the tenant or mailbox",
    r"smtpclientauthentication is disabled|smtp ?auth\w*[^.]{0,30}disabled",
)
_P_MS_BAD_CREDENTIALS = pattern(
    "credentials incorrect",
    r"credentials (?:were|are|is) (?:incorrect|invalid|wrong)|(?:incorrect|invalid|wrong) "
    r"(?:credentials|password)",
)
_P_BASIC_AUTH = pattern("basic authentication disabled", r"basic auth\w*[^.]{0,20}disabled")

MICROSOFT = Provider(
    "microsoft",
    _MS_HOSTS,
    _MS_SIGNATURE,
    rules=tier(
        "microsoft",
        # "535 5.7.3 Authentication unsuccessful" (wrong password, or MFA without an
        # app password).
        rule(M(MICROSOFT_INVALID_CREDENTIALS), code=535),
    ),
    own_codes=tier(
        "microsoft codes",
        rule(M(SMTP_AUTH_DISABLED), enh="7.139", text=_P_SMTP_AUTH_DISABLED),
        rule(M(BASIC_AUTH_DISABLED), enh="7.139", text=_P_BASIC_AUTH),
        rule(
            M(replies.AUTH_TOO_MANY_ATTEMPTS, replies.AUTH_TOO_MANY_ATTEMPTS),
            enh="7.139",
            text=rules.P_LOGIN_ATTEMPTS,
        ),
        rule(M(MICROSOFT_INVALID_CREDENTIALS), enh="7.139", text=_P_MS_BAD_CREDENTIALS),
        rule(M(AUTH_BLOCKED_BY_POLICY), enh="7.139"),
        # Exchange Online Protection 5.7.5xx–7xx ("Access denied, …").
        rule(M(replies.SENDER_BLOCKED), enh=("7.501-502", "7.511", "7.700-750")),
        rule(M(replies.RECIPIENT_REJECTED), enh=("7.503", "7.505", "7.507")),
        rule(M(replies.RECIPIENT_UNKNOWN), enh="7.504"),
        rule(M(replies.REJECTED_HELO), enh="7.506"),
        rule(M(replies.RATE_LIMITED, replies.RATE_LIMITED_TEMPORARY), enh="7.508"),
        rule(M(replies.REJECTED_SENDER_AUTHENTICATION), enh="7.509"),
        rule(M(replies.REJECTED_POLICY), enh=("7.510", "7.520")),
        rule(M(replies.MESSAGE_INVALID_CONTENT), enh="7.512"),
        rule(M(replies.REJECTED_REPUTATION), enh=("7.513", "7.606-649")),
        # "451 4.7.500-699 Server busy, please try again later" / "4.7.650 … rate limited".
        rule(M(None, replies.RATE_LIMITED_TEMPORARY), enh="7.500-699"),
        # "5.2.121/5.2.122 … hourly message receive limit".
        # 5.2.122: the recipient's own hourly receive limit, whoever sends.
        rule(M(replies.RATE_RECIPIENT_RECEIVING, replies.RATE_RECIPIENT_RECEIVING), enh="2.122"),
        rule(M(replies.RATE_LIMITED, replies.RATE_LIMITED_TEMPORARY), enh="2.121"),
    ),
)

_YAHOO_HOSTS = re.compile(r"(?:^|\.)(?:yahoo|yahoodns|aol|ymail)\.(?:com|net)\.?$")
_YAHOO_SIGNATURE = re.compile(r"yahoo|\baol\b|\[(?:tss?|bl|cs)\d\d\]|#auth\d+|#mbr\d+")
_P_YAHOO_DEFERRED = pattern("[TSSnn] deferred", r"\[tss?0[1-4]\]")
_P_YAHOO_COMPLAINTS = pattern("[TSSnn] user complaints", r"due to (?:user )?complaints")
_P_YAHOO_BLOCKED = pattern("[BLnn] / [TSS09] blocked", r"\[bl\d\d\]|\[tss09\]|permanently deferred")

YAHOO = Provider(
    "yahoo",
    _YAHOO_HOSTS,
    _YAHOO_SIGNATURE,
    rules=tier(
        "yahoo",
        # "535 5.7.0 (#AUTH005) Too many bad auth attempts."
        rule(
            M(replies.AUTH_TOO_MANY_ATTEMPTS, replies.AUTH_TOO_MANY_ATTEMPTS),
            text=pattern("#AUTH005", r"#auth005"),
        ),
        # "421 4.7.1 [TS03] All messages from … will be permanently deferred; Retrying will
        # NOT succeed": permanent although 4xx.
        rule(M(replies.REJECTED_REPUTATION, replies.REJECTED_REPUTATION), text=_P_YAHOO_BLOCKED),
        # "421 4.7.0 [TSS04] Messages from … temporarily deferred due to user complaints":
        # the sending server's reputation, not its volume.
        rule(M(None, replies.REJECTED_REPUTATION_TEMPORARY), text=_P_YAHOO_COMPLAINTS),
        rule(M(None, replies.RATE_LIMITED_TEMPORARY), text=_P_YAHOO_DEFERRED),
        # "554 5.7.9 Message not accepted for policy reasons."
        rule(M(replies.REJECTED_POLICY), enh="7.9", stage=("mail", "rcpt", "data")),
    ),
)

PROVIDERS: tuple[Provider, ...] = (GOOGLE, MICROSOFT, YAHOO)


def provider_for(host: str | None, reply: ServerReply) -> Provider | None:
    """The provider a server or reply belongs to, if one is known."""
    text = (reply.text or "").lower()
    for provider in PROVIDERS:
        if provider.recognises(host, text):
            return provider
    return None


def classify(reply: ServerReply, *, stage: str, host: str | None = None) -> ErrorSpec | None:
    """A provider's own meaning of ``reply``, or ``None`` to leave it to the reply table.

    :param reply: the server's reply.
    :param stage: the SMTP step that got it.
    :param host: the server's host name, when known.
    """
    parsed = parse(reply, stage=stage)
    if parsed is None:
        return None
    for provider in PROVIDERS:
        spec = match(parsed, provider.own_codes)
        if spec is not None:
            return spec
    known = provider_for(host, reply)
    if known is None:
        return None
    return match(parsed, known.rules)
