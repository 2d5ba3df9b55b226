"""SMTP server replies → error keys: the reply table and the classifier.

:func:`classify` turns a reply (code, enhanced status code, text) and the SMTP
step that got it into one :class:`~mailplug.errors.ErrorSpec`.  The table is
an ordered list of :class:`Rule` rows in tiers; the first row that matches and
has a key for the reply's class (4xx temporary, 5xx permanent) wins:

1. *overrides* — texts that mean one thing whatever code the server chose
   (daily sending limit, too many login attempts, relaying denied, sender not
   owned by the login …): real servers attach these to the most varied codes;
2. *enhanced* — enhanced status codes with one meaning (RFC 3463, 4954, 5248,
   7504, 7372, 7505), refined by stage or text where servers reuse them;
3. *reply code* — reply codes with one meaning (RFC 5321, 4954, 7504);
4. *text* — well-known texts for the rest (user unknown, mailbox full, spam,
   blocklists, SPF/DKIM/DMARC, too big …), in English and Polish;
5. *protocol* — protocol reply codes (421, 455, 500–504, 553, 555) and the
   greeting refusal (554 at connect);
6. *enhanced class* — any other refusal of AUTH is a refused login; then the
   subject of an enhanced code (x.1 address, x.2 mailbox, x.3/x.4 system,
   x.6 content, x.7 security/policy);
7. *generic text* — "mailbox unavailable", "rejected", "try again later" …;
8. *default* — an x.7.0 code, else the reply code alone (450, 451, 452, 550,
   552, 554) by stage;
9. *class* — any other 4xx or 5xx.

Text patterns are matched case-insensitively on the reply text with its
codes removed.  A key's ``transient`` flag follows the reply class, with two
deliberate exceptions: :data:`DAILY_QUOTA` (Gmail sends ``550 5.4.5``) and
:data:`AUTH_TOO_MANY_ATTEMPTS` (Yahoo sends ``535``) are transient because
they lift by themselves.

Provider-specific knowledge (Gmail, Microsoft 365, Yahoo) lives in
:mod:`mailplug_smtp.providers` and runs before this table through its own
:func:`~mailplug.hookspecs.mailplug_classify_reply` implementation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailplug.errors import Category, ErrorSpec, ServerReply
from mailplug.keys import SERVER_UNKNOWN

from . import keys as client_keys

__all__ = [
    "AUTH_STAGES",
    "REPLY_ERRORS",
    "RULES",
    "EnhancedFilter",
    "Meaning",
    "ParsedReply",
    "Pattern",
    "Rule",
    "classify",
    "match",
    "parse",
    "pattern",
    "rule",
    "tier",
]

C = Category

# --------------------------------------------------------------------------
# Advice shared by several keys (advice has no msgctxt: translated once)
# --------------------------------------------------------------------------

#: Same English text as in :mod:`mailplug_smtp.keys`: one translation.
A_RETRY = (
    "The message will be sent again automatically. If the problem persists, contact the "
    "administrator of the server or try another mail account."
)
A_ADMIN = (
    "Contact the administrator of the server. Also try using another mail account. "
    "If the problem persists, contact extended technical support."
)
A_POLICY = (
    "Contact the administrator of your mail server and quote the server's reply shown above. "
    "Also try using another mail account."
)
A_CHECK_LOGIN = (
    "Check what you entered in the e-mail settings: the login (usually the full e-mail "
    "address) and the password, which is case-sensitive."
)
A_USE_TLS = client_keys.AUTH_NEEDS_TLS.advice
A_CHECK_SERVER = (
    "Check the server name and port in the account settings. Contact the administrator of the "
    "server. Also try using another mail account."
)
A_CHECK_RECIPIENT = (
    "Check the recipient's address for typing errors, or ask the recipient for the correct address."
)
A_RETRY_RECIPIENT = (
    "The message will be sent to this recipient again automatically. If it keeps failing, "
    "check the address or contact the recipient another way."
)
A_CHECK_DOMAIN = (
    "Check the part of the address after the @ for typing errors, or ask the recipient for "
    "the correct address."
)
A_CORRECT_ADDRESS = "Correct the address; it should look like name@example.com."
A_NO_LOGIN_OFFERED = client_keys.AUTH_UNAVAILABLE.advice
A_CHOOSE_MECHANISM = client_keys.AUTH_MECHANISM_UNAVAILABLE.advice
A_WEBMAIL = (
    "Log in to the mailbox in a web browser (webmail) to see why, or contact your mail "
    "provider or administrator."
)
A_SHRINK = client_keys.SIZE_EXCEEDED.advice
A_SENDER = (
    "Check the sender's address (From and the envelope sender) in the account settings: it "
    "must be an existing address that this server lets you send from."
)

# --------------------------------------------------------------------------
# The keys
# --------------------------------------------------------------------------

# -- login ---------------------------------------------------------------------

AUTH_INVALID_CREDENTIALS = ErrorSpec(
    "smtp.auth.invalid_credentials",
    C.AUTHENTICATION,
    False,
    "Incorrect login data. The server did not accept the login or the password.",
    A_CHECK_LOGIN,
    pauses="account",
)
AUTH_TEMPORARY_FAILURE = ErrorSpec(
    "smtp.auth.temporary_failure",
    C.AUTHENTICATION,
    True,
    "Temporary lack of authorization. The server cannot check the login data or permissions "
    "right now.",
    A_RETRY,
)
AUTH_PASSWORD_TRANSITION = ErrorSpec(
    "smtp.auth.password_transition",
    C.AUTHENTICATION,
    True,
    "The way the password is passed must change. The server asks for one login with the PLAIN "
    "method before it accepts the selected method.",
    "Set the login method to PLAIN in the account settings (with an encrypted connection), "
    "send once, then you may switch back to the previous method.",
    pauses="account",
)
AUTH_REQUIRED = ErrorSpec(
    "smtp.auth.required",
    C.AUTHENTICATION,
    False,
    "The connection requires logging in. The server does not send mail without a login and "
    "password.",
    "In the account settings, turn on logging in to the outgoing mail server (SMTP) and enter "
    "the login and password of the mailbox.",
    pauses="account",
)
AUTH_MECHANISM_TOO_WEAK = ErrorSpec(
    "smtp.auth.mechanism_too_weak",
    C.AUTHENTICATION,
    False,
    "The selected login method is too weak. The server requires a more secure way of logging in.",
    "In the account settings, choose another login method (or automatic) and an encrypted "
    "connection (STARTTLS or TLS).",
    pauses="account",
)
AUTH_ENCRYPTION_REQUIRED = ErrorSpec(
    "smtp.auth.encryption_required",
    C.ENCRYPTION,
    False,
    "Encryption is required to log in. The server accepts the login and password only over an "
    "encrypted connection.",
    A_USE_TLS,
    pauses="account",
)
AUTH_MECHANISM_UNSUPPORTED = ErrorSpec(
    "smtp.auth.mechanism_unsupported",
    C.AUTHENTICATION,
    False,
    "The server does not support the selected login method.",
    A_CHOOSE_MECHANISM,
    pauses="account",
)
AUTH_NOT_SUPPORTED = ErrorSpec(
    "smtp.auth.not_supported",
    C.AUTHENTICATION,
    False,
    "The server does not accept logging in on this connection.",
    A_NO_LOGIN_OFFERED,
    pauses="account",
)
AUTH_ACCOUNT_DISABLED = ErrorSpec(
    "smtp.auth.account_disabled",
    C.AUTHENTICATION,
    False,
    "Login refused: the mail account is disabled or locked on the server.",
    A_WEBMAIL,
    pauses="account",
)
AUTH_WEB_LOGIN_REQUIRED = ErrorSpec(
    "smtp.auth.web_login_required",
    C.AUTHENTICATION,
    False,
    "The mail provider blocked this login and asks you to log in through a web browser first.",
    "Log in to the mailbox in a web browser, confirm that it was you and follow the "
    "instructions there; then send again.",
    pauses="account",
)
AUTH_APP_PASSWORD_REQUIRED = ErrorSpec(
    "smtp.auth.app_password_required",
    C.AUTHENTICATION,
    False,
    "Incorrect login data. The account uses two-step verification, so the server needs an app "
    "password instead of the normal password.",
    "Create an app password in the security settings of your mail account (Google: "
    "myaccount.google.com → Security → App passwords) and enter it in the e-mail settings "
    "instead of the normal password.",
    pauses="account",
)
AUTH_TOO_MANY_ATTEMPTS = ErrorSpec(
    "smtp.auth.too_many_attempts",
    C.RATE_LIMIT,
    True,
    "The server temporarily blocked logging in after too many login attempts.",
    "Wait a while (usually up to an hour); the message will be sent again automatically. "
    "Check that the password in the e-mail settings is correct, so that the block does not "
    "come back.",
)

# -- encryption ------------------------------------------------------------------

TLS_REQUIRED = ErrorSpec(
    "smtp.tls.required",
    C.ENCRYPTION,
    False,
    "The connection requires encryption. The server accepts mail only over an encrypted "
    "connection (STARTTLS or TLS).",
    A_USE_TLS,
    pauses="account",
)
TLS_UNAVAILABLE = ErrorSpec(
    "smtp.tls.unavailable",
    C.ENCRYPTION,
    True,
    "The connection requires encryption, but the server cannot start it right now.",
    A_RETRY,
)
TLS_REFUSED = ErrorSpec(
    "smtp.tls.refused",
    C.ENCRYPTION,
    False,
    "The connection requires encryption, but the server refused to start it (STARTTLS).",
    client_keys.STARTTLS_UNAVAILABLE.advice,
    pauses="account",
)

# -- the service -------------------------------------------------------------------

SERVICE_UNAVAILABLE = ErrorSpec(
    "smtp.service.unavailable",
    C.SERVER,
    True,
    "The SMTP protocol is not available. The server is temporarily not handling mail.",
    A_RETRY,
)
SERVICE_REFUSED = ErrorSpec(
    "smtp.service.refused",
    C.SERVER,
    False,
    "The SMTP protocol is not available. The server refused to serve this connection.",
    A_CHECK_SERVER,
    pauses="account",
)
SERVER_NO_MAIL = ErrorSpec(
    "smtp.server.no_mail",
    C.SERVER,
    False,
    "The server does not accept mail.",
    A_CHECK_SERVER,
    pauses="account",
)
SERVER_ERROR = ErrorSpec(
    "smtp.server.error",
    C.SERVER,
    False,
    "Server-side error. The server could not carry out the command.",
    A_ADMIN,
)
SERVER_ERROR_TEMPORARY = ErrorSpec(
    "smtp.server.error_temporary",
    C.SERVER,
    True,
    "Server-side error. The server stopped processing the command because of a local problem.",
    A_RETRY,
)
SERVER_NO_SPACE = ErrorSpec(
    "smtp.server.no_space",
    C.SERVER,
    True,
    "No space on the server side. The server temporarily has no room to accept the message.",
    A_RETRY,
)

# -- the protocol -------------------------------------------------------------------

COMMAND_INVALID = ErrorSpec(
    "smtp.command.invalid",
    C.SERVER,
    False,
    "The command is invalid or too long. The server did not recognise a command the program sent.",
    A_ADMIN,
)
COMMAND_BAD_ARGUMENTS = ErrorSpec(
    "smtp.command.bad_arguments",
    C.SERVER,
    False,
    "The parameters are not given correctly. The server did not understand the parameters of "
    "a command.",
    A_ADMIN,
)
COMMAND_NOT_IMPLEMENTED = ErrorSpec(
    "smtp.command.not_implemented",
    C.SERVER,
    False,
    "The selected command is not available. The server does not support it.",
    A_ADMIN,
)
COMMAND_BAD_SEQUENCE = ErrorSpec(
    "smtp.command.bad_sequence",
    C.SERVER,
    False,
    "Wrong order of commands. The server expected another command at this step.",
    A_ADMIN,
)
COMMAND_PARAMETER_NOT_IMPLEMENTED = ErrorSpec(
    "smtp.command.parameter_not_implemented",
    C.SERVER,
    False,
    "A command parameter is not available. The server does not support an option the program used.",
    A_ADMIN,
)
COMMAND_PARAMETERS_UNAVAILABLE = ErrorSpec(
    "smtp.command.parameters_unavailable",
    C.SERVER,
    True,
    "The server cannot accept the given parameters right now.",
    A_RETRY,
)

# -- recipients and mailboxes ----------------------------------------------------------

RECIPIENT_UNKNOWN = ErrorSpec(
    "smtp.recipient.unknown",
    C.RECIPIENT,
    False,
    "The recipient's address does not exist: the server has no such mailbox.",
    A_CHECK_RECIPIENT,
)
RECIPIENT_UNKNOWN_TEMPORARY = ErrorSpec(
    "smtp.recipient.unknown_temporary",
    C.RECIPIENT,
    True,
    "The server could not confirm that the recipient's address exists.",
    A_RETRY_RECIPIENT,
)
RECIPIENT_BAD_DOMAIN = ErrorSpec(
    "smtp.recipient.bad_domain",
    C.RECIPIENT,
    False,
    "The recipient's domain (the part of the address after the @) does not exist or cannot "
    "receive mail.",
    A_CHECK_DOMAIN,
)
RECIPIENT_BAD_DOMAIN_TEMPORARY = ErrorSpec(
    "smtp.recipient.bad_domain_temporary",
    C.RECIPIENT,
    True,
    "The recipient's domain (the part of the address after the @) cannot be found right now.",
    A_RETRY_RECIPIENT,
)
RECIPIENT_BAD_ADDRESS = ErrorSpec(
    "smtp.recipient.bad_address",
    C.RECIPIENT,
    False,
    "The recipient's address is not written correctly.",
    A_CORRECT_ADDRESS,
)
RECIPIENT_NOT_LOCAL = ErrorSpec(
    "smtp.recipient.not_local",
    C.RECIPIENT,
    False,
    "The given user is not local. The server does not handle this mailbox and will not pass "
    "the message on.",
    "The recipient may have moved to another address: check the address or ask the recipient "
    "for the new one.",
)
RECIPIENT_DOMAIN_NO_MAIL = ErrorSpec(
    "smtp.recipient.domain_no_mail",
    C.RECIPIENT,
    False,
    "This domain does not accept mail. The recipient's domain declares that it receives no "
    "e-mail at all.",
    A_CHECK_DOMAIN,
)
RECIPIENT_REJECTED = ErrorSpec(
    "smtp.recipient.rejected",
    C.RECIPIENT,
    False,
    "The server refused the recipient's address.",
    A_CHECK_RECIPIENT,
)
RECIPIENT_REJECTED_TEMPORARY = ErrorSpec(
    "smtp.recipient.rejected_temporary",
    C.RECIPIENT,
    True,
    "The server temporarily refused the recipient's address.",
    A_RETRY_RECIPIENT,
)
RECIPIENT_RESTRICTED = ErrorSpec(
    "smtp.recipient.restricted",
    C.RECIPIENT,
    False,
    "The recipient accepts messages only from authorised senders (for example, a group or a "
    "list open only to its members).",
    "Ask the recipient or their administrator to allow messages from your address, or send "
    "from an address the recipient accepts.",
)
MAILBOX_UNAVAILABLE = ErrorSpec(
    "smtp.mailbox.unavailable",
    C.RECIPIENT,
    False,
    "The command was not executed, the mailbox is not available.",
    "Check the recipient's address. If it is correct, the recipient's mailbox may be closed or "
    "blocked: contact the recipient another way.",
)
MAILBOX_BUSY = ErrorSpec(
    "smtp.mailbox.busy",
    C.RECIPIENT,
    True,
    "The mailbox is not available, busy or blocked. The server did not accept the message for "
    "this recipient for now.",
    A_RETRY_RECIPIENT,
)
MAILBOX_DISABLED = ErrorSpec(
    "smtp.mailbox.disabled",
    C.RECIPIENT,
    False,
    "The recipient's mailbox is disabled and does not accept messages.",
    "The recipient no longer uses this mailbox: contact them another way to get a current address.",
)
MAILBOX_DISABLED_TEMPORARY = ErrorSpec(
    "smtp.mailbox.disabled_temporary",
    C.RECIPIENT,
    True,
    "The recipient's mailbox is temporarily disabled or locked.",
    A_RETRY_RECIPIENT,
)
MAILBOX_FULL = ErrorSpec(
    "smtp.mailbox.full",
    C.MAILBOX_FULL,
    False,
    "The mailbox is full. The recipient has no room for new messages.",
    "Let the recipient know another way that their mailbox is full, and send the message again "
    "later.",
)
MAILBOX_FULL_TEMPORARY = ErrorSpec(
    "smtp.mailbox.full_temporary",
    C.MAILBOX_FULL,
    True,
    "The mailbox is full. The recipient has no room for new messages at the moment.",
    "The message will be sent again automatically for some time; if the recipient does not "
    "free up space, delivery will fail. You can let them know another way.",
)
MAILBOX_NAME_INVALID = ErrorSpec(
    "smtp.mailbox.name_invalid",
    C.RECIPIENT,
    False,
    "The mailbox name is not correct. The server does not accept this address.",
    A_CHECK_RECIPIENT,
)
ADDRESS_UTF8_UNSUPPORTED = ErrorSpec(
    "smtp.address.utf8_unsupported",
    C.RECIPIENT,
    False,
    "The server does not accept addresses with non-ASCII characters (SMTPUTF8).",
    client_keys.SMTPUTF8_UNSUPPORTED.advice,
)

# -- the sender ------------------------------------------------------------------------

SENDER_NOT_OWNED = ErrorSpec(
    "smtp.sender.not_owned",
    C.CONFIGURATION,
    False,
    "The server does not let this login send from the sender's address: the address does not "
    "belong to the account.",
    "Send from the address of the account you log in with (set it as the sender in the account "
    "settings), or ask the administrator to allow sending as the other address.",
    pauses="account",
)
SENDER_REJECTED = ErrorSpec(
    "smtp.sender.rejected",
    C.REJECTED,
    False,
    "The server refused the sender's address.",
    A_SENDER,
    pauses="account",
)
SENDER_REJECTED_TEMPORARY = ErrorSpec(
    "smtp.sender.rejected_temporary",
    C.REJECTED,
    True,
    "The server temporarily refused the sender's address (for example, it could not check its "
    "domain).",
    A_RETRY,
)
SENDER_INVALID = ErrorSpec(
    "smtp.sender.invalid",
    C.CONFIGURATION,
    False,
    "The sender's address is not written correctly.",
    "Correct the sender's address in the account settings; it should look like name@example.com.",
    pauses="account",
)
SENDER_BLOCKED = ErrorSpec(
    "smtp.sender.blocked",
    C.REJECTED,
    False,
    "The mail provider blocked sending from this account (for example, after suspected spam).",
    "Log in to the mailbox in a web browser or contact the mail provider to unblock sending. "
    "Until then, use another mail account.",
    pauses="account",
)

# -- the message -------------------------------------------------------------------------

MESSAGE_TOO_BIG = ErrorSpec(
    "smtp.message.too_big",
    C.MESSAGE_TOO_BIG,
    False,
    "The message is too big: the server does not accept messages of this size.",
    A_SHRINK,
)
MESSAGE_TOO_BIG_TEMPORARY = ErrorSpec(
    "smtp.message.too_big_temporary",
    C.MESSAGE_TOO_BIG,
    True,
    "The message is too big for the server at the moment.",
    "The message will be sent again automatically. If it keeps failing, remove or shrink "
    "attachments, or send large files as links.",
)
MESSAGE_SPAM = ErrorSpec(
    "smtp.message.spam",
    C.REJECTED,
    False,
    "The server rejected the message as spam or as suspicious.",
    "Change the message (fewer links and images, a clear subject, no unusual attachments) and "
    "send it again. If it keeps happening, contact the administrator of your mail server.",
)
MESSAGE_SPAM_TEMPORARY = ErrorSpec(
    "smtp.message.spam_temporary",
    C.REJECTED,
    True,
    "The server temporarily refused the message as possible spam.",
    A_RETRY,
)
MESSAGE_DANGEROUS_CONTENT = ErrorSpec(
    "smtp.message.dangerous_content",
    C.REJECTED,
    False,
    "The server rejected the message because of a virus or a forbidden type of attachment.",
    "Check the attachments with an antivirus program. Send executable files and archives "
    "containing them as links instead of attachments.",
)
MESSAGE_INVALID_CONTENT = ErrorSpec(
    "smtp.message.invalid_content",
    C.REJECTED,
    False,
    "The server rejected the message because its format or content is not accepted.",
    A_ADMIN,
)
TRANSACTION_FAILED = ErrorSpec(
    "smtp.transaction.failed",
    C.REJECTED,
    False,
    "Connection failed. The server refused to carry out the delivery.",
    A_ADMIN,
)

# -- policy --------------------------------------------------------------------------------

REJECTED_POLICY = ErrorSpec(
    "smtp.rejected.policy",
    C.REJECTED,
    False,
    "The server refused the message because of its rules (local policy).",
    A_POLICY,
)
REJECTED_POLICY_TEMPORARY = ErrorSpec(
    "smtp.rejected.policy_temporary",
    C.REJECTED,
    True,
    "The server temporarily refused the message because of its rules.",
    A_RETRY,
)
REJECTED_REPUTATION = ErrorSpec(
    "smtp.rejected.reputation",
    C.REJECTED,
    False,
    "The server refused mail from the sending server because of its reputation (for example, "
    "its address is on a blocklist).",
    "Send through your provider's mail server with a login (port 587), not directly. If you "
    "already do, tell the provider's administrator that its server is on a blocklist.",
)
REJECTED_REPUTATION_TEMPORARY = ErrorSpec(
    "smtp.rejected.reputation_temporary",
    C.REJECTED,
    True,
    "The server temporarily refused mail from the sending server because of its reputation.",
    A_RETRY,
)
REJECTED_SENDER_AUTHENTICATION = ErrorSpec(
    "smtp.rejected.sender_authentication",
    C.REJECTED,
    False,
    "The server rejected the message because the sender's domain failed the SPF, DKIM or DMARC "
    "check.",
    "Send from an address through its own provider's server, or ask the administrator of the "
    "sender's domain to correct its SPF, DKIM and DMARC records.",
)
REJECTED_SENDER_AUTHENTICATION_TEMPORARY = ErrorSpec(
    "smtp.rejected.sender_authentication_temporary",
    C.REJECTED,
    True,
    "The server could not check the sender's domain (SPF, DKIM or DMARC) right now.",
    A_RETRY,
)
REJECTED_RELAY = ErrorSpec(
    "smtp.rejected.relay",
    C.REJECTED,
    False,
    "The server refused to pass the message on to another domain (relaying denied).",
    "Turn on logging in to the outgoing mail server (SMTP) in the account settings, and send "
    "through the server of the provider that hosts the sender's address.",
    pauses="account",
)
REJECTED_RELAY_TEMPORARY = ErrorSpec(
    "smtp.rejected.relay_temporary",
    C.REJECTED,
    True,
    "The server temporarily refused to pass the message on to another domain.",
    A_RETRY,
)
REJECTED_GREYLISTED = ErrorSpec(
    "smtp.rejected.greylisted",
    C.REJECTED,
    True,
    "The recipient's server asked to try again later (greylisting); this is normal for a first "
    "message from a new sender.",
    "Nothing to do: the message will be sent again automatically in a few minutes.",
)
REJECTED_HELO = ErrorSpec(
    "smtp.rejected.helo",
    C.CONFIGURATION,
    False,
    "The server refused the name this computer introduced itself with (HELO/EHLO).",
    "Set the local host name in the account settings (local_hostname) to this computer's full "
    "name in DNS, or leave it empty to use the default.",
    pauses="account",
)

# -- rate limits -------------------------------------------------------------------------

RATE_LIMITED = ErrorSpec(
    "smtp.rate.limited",
    C.RATE_LIMIT,
    False,
    "The server refused the message because too many messages were sent in a short time.",
    "Send fewer messages at a time, or set a limit of messages per minute in the account "
    "settings, and send again later.",
)
RATE_LIMITED_TEMPORARY = ErrorSpec(
    "smtp.rate.limited_temporary",
    C.RATE_LIMIT,
    True,
    "The server asks to slow down: too many messages were sent in a short time.",
    "The message will be sent again automatically later. If this happens often, set a limit of "
    "messages per minute in the account settings.",
)
RATE_TOO_MANY_CONNECTIONS = ErrorSpec(
    "smtp.rate.too_many_connections",
    C.RATE_LIMIT,
    True,
    "The server refused the connection because too many connections are open at once.",
    "The message will be sent again automatically. Lower the number of parallel connections in "
    "the account settings.",
)
RATE_TOO_MANY_RECIPIENTS = ErrorSpec(
    "smtp.rate.too_many_recipients",
    C.RATE_LIMIT,
    False,
    "The message has too many recipients for this server.",
    "Split the message into several messages with fewer recipients each.",
)
RATE_TOO_MANY_RECIPIENTS_TEMPORARY = ErrorSpec(
    "smtp.rate.too_many_recipients_temporary",
    C.RATE_LIMIT,
    True,
    "The server accepts no more recipients in this message for now.",
    "The remaining recipients will be sent again automatically. If it keeps happening, send "
    "the message to fewer recipients at a time.",
)
#: The account's daily sending quota is used up (Gmail ``550 5.4.5``).  Transient
#: whatever the reply class: the outbox defers messages with this key until
#: the next day instead of failing them.
DAILY_QUOTA = ErrorSpec(
    "smtp.rate.daily_quota",
    C.RATE_LIMIT,
    True,
    "The daily sending limit of this account has been reached.",
    "The message will be sent automatically after the limit resets (usually within 24 hours). "
    "To send more, use another mail account.",
)

REPLY_ERRORS: tuple[ErrorSpec, ...] = tuple(
    v for v in list(globals().values()) if isinstance(v, ErrorSpec) and v.key.startswith("smtp.")
)
"""Every key of the reply table, in the order defined above."""


# --------------------------------------------------------------------------
# Table machinery
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Text patterns
# --------------------------------------------------------------------------

P_WEB_LOGIN = pattern(
    "log in through a web browser first",
    r"log ?in (?:via|with|through|using) your (?:web )?browser|web login required",
)
P_MECHANISM = pattern(
    "login method not supported",
    r"(?:invalid|unsupported|unknown|unrecognized) (?:authentication |auth |sasl )?mechanism",
    r"mechanism (?:is )?(?:not supported|not available|unavailable|not allowed)",
    r"unrecognized authentication type",
)
P_DAILY = pattern(
    "daily sending limit",
    r"\b(?:daily|per day|a day|24[- ]?hours?|24h)\b[^.]{0,40}\b(?:limit|quota|maximum)",
    r"\b(?:limit|quota)\b[^.]{0,40}\b(?:daily|per day|24[- ]?hours?)\b",
    r"dzienn\w* limit|limit\w* (?:dzienn|dobow)|dobow\w* limit",
)
P_LOGIN_ATTEMPTS = pattern(
    "too many login attempts",
    r"too many (?:bad |failed |invalid |unsuccessful |wrong )?(?:login|logon|log-?in|auth\w*"
    r"|password|sign-?in)s?\b(?: (?:attempts|failures|tries|errors))?",
    r"(?:login|logon|auth\w*) (?:attempts|failures) (?:limit|exceeded)",
    r"too many (?:failed|unsuccessful|bad|invalid) attempts",
    r"zbyt wiele (?:prób|nieudanych)",
)
P_APP_PASSWORD = pattern(
    "application-specific password required",
    r"application[- ]specific password|app password (?:is )?required|use an app password",
)
P_CONNECTIONS = pattern(
    "too many connections",
    r"too many (?:[\w-]+ ){0,3}(?:connections|sessions)\b",
    r"(?:connection|session|concurren\w*) (?:limit|count)\b",
    r"(?:maximum|max\.?) (?:number of )?(?:concurrent )?(?:connections|sessions)",
    r"connection rate",
    r"zbyt wiele (?:połączeń|jednoczesnych)",
)
P_RECIPIENTS = pattern(
    "too many recipients",
    r"too many (?:recipients|rcpt)",
    r"\brecipient (?:limit|count)\b",
    r"(?:maximum|max\.?|limit of) (?:number of )?recipients",
    r"zbyt wielu odbiorców|za dużo odbiorców|limit\w* odbiorców",
)
P_NOT_LOGGED_IN = pattern("not logged in", r"not logged in|niezalogowan\w*|nie zalogowan\w*")
P_FULL_MESSAGES = pattern(
    "too many messages in the mailbox", r"too many (?:messages|mails|e-?mails) (?:in|stored)"
)
P_RATE = pattern(
    "rate limit",
    r"rate[- ]?limit|ratelimit|throttl",
    r"too many (?:messages|mails|e-?mails|requests|transactions)|too much (?:mail|e-?mail|traffic)",
    r"too (?:fast|quickly)|slow down|at a rate\b",
    r"\b(?:sending|send|submission|outbound|relay|hourly|recipient|message) (?:rate|quota)\b",
    r"\bsending limits?\b|\bsend limits?\b|per (?:hour|minute|second)\b|\bhourly\b",
    r"unusual (?:rate|amount|volume|traffic)|unexpected volume|user complaints",
    r"temporarily deferred|deferred due to",
    r"exceeded (?:the |your |its )?(?:permitted |allowed |maximum )?(?:sending |message )?"
    r"(?:rate|limits)\b",
    r"mail flood|flooding|polic\w* reject\w*[^.]{0,10}quota",
    r"zbyt wiele wiadomości|za dużo wiadomości|limit wysył\w*|limit wiadomości",
)
P_GREYLIST = pattern(
    "greylisting",
    r"gr[ae]y-?list|gr[ae]y list",
    r"postgrey|sqlgrey",
)
P_SENDER_BLOCKED = pattern(
    "sending blocked for the account",
    r"bad outbound sender|outbound ?spam|banned sender|spam abuse",
    r"mail sending denied|sender account is disabled",
    r"sending (?:has been |is )?(?:temporarily )?(?:suspended|disabled|blocked|denied|restricted)",
    r"account (?:has been |is )?(?:temporarily )?(?:suspended|blocked|disabled|restricted|limited)"
    r" (?:from|for) sending",
    r"blocked from sending",
    r"wascl|showtierupgrade",
    r"wysyłanie[^.]{0,30}zablokowan",
)
P_NOT_OWNED = pattern(
    "sender not owned by the login",
    r"not owned by",
    r"send ?as ?(?:permission )?denied|sendasdenied|send as this sender|send on behalf",
    r"(?:permission|permissions|not allowed|not authori[sz]ed|not permitted) to send "
    r"(?:as|from|on behalf)",
    r"(?:sender|from) address (?:does not|doesn't|must) (?:match|belong)",
    r"(?:sender|from)[^.]{0,40}(?:does not|doesn't) (?:match|belong to) (?:the |your )?"
    r"(?:login|authenticated|account|user)",
    r"(?:login|authenticated user|auth(?:entication)? user)[^.]{0,30}(?:mismatch|does not match)",
    r"sender (?:login )?mismatch|relaying disallowed as",
    r"(?:e-?mail |sender |from )?address is not verified|(?:from|sender) (?:address )?not "
    r"verified|identities failed the check",
    r"nadawc\w*[^.]{0,30}nie należy",
)
P_SENDER = pattern(
    "sender address rejected",
    r"sender (?:address )?(?:is )?(?:rejected|refused|denied|blocked|invalid|unknown|"
    r"not (?:allowed|accepted|permitted|authori[sz]ed))",
    r"(?:bad|invalid|unknown|unverified|unauthori[sz]ed|illegal|forged) sender",
    r"sender verif\w*|sender address verification|callout verification",
    r"badmailfrom|envelope sender|mail from (?:address )?(?:rejected|refused|denied|not)",
    r"domain of sender address|sender domain (?:is )?(?:does not|doesn't|must|not)",
    r"nadawc\w* (?:odrzucon|zablokowan|nieprawidłow)",
)
P_SENDER_SYNTAX = pattern(
    "sender address syntax",
    r"(?:sender|mail from)[^.]{0,20}(?:syntax|malformed)|(?:syntax|malformed)[^.]{0,20}sender",
)
P_RELAY = pattern(
    "relaying denied",
    r"relay(?:ing)? (?:access )?(?:is )?(?:denied|not permitted|not allowed|prohibited|refused|"
    r"forbidden|disallowed|rejected)",
    r"(?:unable|not allowed|not permitted|not authori[sz]ed|cannot|can't|do not|don't|no) "
    r"(?:to )?relay\b",
    r"relay access|rcpthosts|tenantattribution|not an open relay|relay not (?:permitted|allowed)",
    r"przekazywani\w*[^.]{0,30}(?:zabronion|niedozwolon)",
)
P_RESTRICTED = pattern(
    "recipient accepts only authorised senders",
    r"resolver\.rst|sendernotauthenticated|notauthorized",
    r"(?:group|distribution list|mailing list)[^.]{0,60}(?:requires? authentication|only accepts?|"
    r"restricted|not authori[sz]ed|moderat)",
    r"(?:only|can only) (?:accepts?|receives?) (?:mail|messages|e-?mail)",
    r"not authori[sz]ed to (?:send|e-?mail|mail|post) (?:to|messages to)",
    r"recipient (?:is )?restricted|restricted recipient",
)
P_EXCHANGE_NOT_FOUND = pattern(
    "recipient not found (Exchange)",
    r"recip(?:ient)?notfound|recipient not found",
)
P_EOP_DENIED = pattern(
    "recipient address rejected: access denied",
    r"recipient address rejected|access denied",
)
P_POLICY_REASONS = pattern("policy reasons", r"polic(?:y|ies)")
P_TLS_UNAVAILABLE = pattern(
    "TLS not available",
    r"\btls (?:is )?(?:not available|unavailable|temporarily)",
    r"starttls (?:is )?(?:not available|unavailable|disabled|not supported|not implemented)",
    r"cannot start tls|tls (?:handshake|negotiation) failed",
)
P_TLS_REQUIRED = pattern(
    "encryption required (STARTTLS)",
    r"starttls",
    r"\b(?:tls|ssl)\b[^.]{0,20}(?:required|first|needed|mandatory)",
    r"(?:requires?|must use|please use|enable)[^.]{0,20}(?:\btls\b|\bssl\b|encryption|encrypted|"
    r"secure connection)",
    r"encryption (?:is )?(?:required|needed|mandatory)",
    r"(?:secure|encrypted) (?:connection|channel) (?:is )?(?:required|needed)",
    r"plaintext (?:auth\w* )?(?:is )?(?:not allowed|disallowed|forbidden|prohibited)",
    r"wymaga\w* szyfrowan",
)
P_SENDER_AUTH = pattern(
    "SPF, DKIM or DMARC failed",
    r"\bspf\b|sender policy framework|dkim|domainkeys|dmarc|\barc\b (?:validation|fail)",
    r"this (?:mail|message|email) is unauthenticated|unauthenticated (?:email|mail|message)",
    r"authentication (?:checks|information|results)|fails? to pass (?:sender )?authentication",
    r"anti-?spoof|spoof(?:ed|ing)",
)
P_AUTH_REQUIRED = pattern(
    "authentication required",
    r"(?:authentication|\bauth\b|login|log-?in|logon|smtp auth\w*) (?:is )?(?:required|needed|"
    r"first)",
    r"must (?:authenticate|be authenticated|log ?in|login|use (?:smtp )?auth)",
    r"not (?:been )?authenticated|authenticate first|requires? (?:smtp )?(?:authentication|"
    r"auth\b|login)",
    r"please (?:authenticate|log ?in)|unauthenticated (?:sender|senders|relay|client|user|"
    r"submission|access)",
    r"wymagane (?:jest )?(?:logowanie|uwierzytelnienie)|wymaga (?:zalogowania|uwierzytelnienia)",
)
P_AUTH_FAILED = pattern(
    "authentication failed",
    r"authentication (?:failed|failure|unsuccessful|rejected|error)|auth\w* failed",
    r"invalid (?:credentials|login|username|user ?name|password|user or password)",
    r"(?:username|user name|login|password|credentials)(?: and password| or password)? "
    r"(?:is |are |was )?(?:incorrect|invalid|wrong|not accepted|rejected|mismatch)",
    r"bad (?:username|user name|password|credentials|login)",
    r"incorrect (?:username|user name|password|login|authentication|credentials)",
    r"wrong (?:password|login|username)|login (?:failed|incorrect|denied)|logon failure",
    r"(?:niepoprawn|nieprawidłow|błędn)\w* (?:hasło|login|dane logowania)",
)
P_ACCOUNT_DISABLED = pattern(
    "account disabled or locked",
    r"(?:account|user|mailbox|login|inbox)[^.]{0,40}\b(?:disabled|locked|suspended|deactivated|"
    r"inactive|expired|frozen|closed|blocked)\b",
    r"(?:disabled|locked|suspended|deactivated|inactive|closed) (?:account|user|mailbox)",
    r"no longer (?:active|in use|available|valid|accepting)",
    r"(?:konto|skrzynk)\w*[^.]{0,30}(?:zablokowan|wyłączon|nieaktywn)",
)
P_HELO = pattern(
    "HELO/EHLO name rejected",
    r"\b(?:helo|ehlo)\b[^.]{0,30}(?:rejected|invalid|not allowed|refused|denied)",
    r"(?:invalid|bad|illegal|bogus|forged) (?:helo|ehlo)",
    r"(?:need|requires?) (?:a )?fully[- ]qualified (?:host ?name|domain name)",
    r"hostname (?:is )?not (?:fully qualified|valid)",
)
P_INVALID_CONTENT = pattern(
    "message format not accepted",
    r"bare (?:lf|linefeed|<lf>|cr)|line (?:length )?(?:too long|exceeds)",
    r"invalid (?:message )?(?:content|header|format|mime)|malformed (?:message|header|mime)",
    r"headers?[^.]{0,30}(?:invalid|malformed|missing|too long|duplicate)",
    r"8-?bit (?:data|content|mime)|rfc ?5322|rfc ?2822|missing (?:required )?header",
)
P_VIRUS = pattern(
    "virus or forbidden attachment",
    r"virus|malware|infected|trojan|\bworm\b|ransomware|malicious",
    r"(?:banned|blocked|prohibited|forbidden|unsafe|dangerous) (?:file|attachment|extension|"
    r"content)",
    r"attachment[^.]{0,40}(?:not allowed|not permitted|prohibited|forbidden|blocked|rejected|"
    r"denied)",
    r"executable|\.exe\b|file type|file extension|potential security issue",
    r"wirus|zainfekowan|złośliw",
)
P_UTF8 = pattern(
    "international (SMTPUTF8) address not supported",
    r"smtputf8|utf-?8 (?:address|addresses|mailbox|local)",
    r"non-?ascii (?:address|characters? in (?:the )?(?:address|local)|local)",
    r"internationali[sz]ed (?:address|e-?mail)",
)
P_FULL = pattern(
    "mailbox full / over quota",
    r"(?:mailbox|mail box|inbox|mail ?folder|account|user|recipient)[^.]{0,40}\bfull\b",
    r"\bfull (?:mailbox|inbox)",
    r"over ?quota|quota (?:exceeded|exceed|full|reached|violation)",
    r"exceed\w* (?:the |his |her |their |its |your )?(?:storage |disk |mailbox |mail )?"
    r"(?:quota|storage allocation|storage limit)",
    r"mailbox size limit|mailbox (?:is )?(?:over|too large)",
    r"(?:not enough|insufficient) (?:space|storage) (?:in|for) (?:the )?(?:mailbox|user|recipient)",
    r"quotaexceeded|\bquota\b",
    r"skrzynk\w*[^.]{0,30}(?:pełna|przepełnion)|przepełnion\w*|brak miejsca w skrzynce",
)
P_SERVER_STORAGE = pattern(
    "no space on the server",
    r"insufficient (?:system )?(?:storage|disk|space|resources)|disk (?:is )?full|no space",
    r"out of (?:disk )?(?:space|storage)|not enough (?:disk |system )?(?:space|storage)",
    r"disk space|system storage|brak miejsca",
)
P_TOO_BIG = pattern(
    "message too big",
    r"too (?:large|big)\b",
    r"size (?:limit|exceed)|exceeds?[^.]{0,40}\b(?:size|limit|maximum|max)\b",
    r"message (?:size|length)|maximum (?:message |allowed )?size|databytes|larger than",
    r"message file too big|size of (?:the )?message|message (?:is )?too long",
    r"za duż\w*|zbyt duż\w*|rozmiar",
)
P_BAD_ADDRESS = pattern(
    "address syntax",
    r"address syntax",
    r"syntax (?:error )?in (?:the )?(?:e-?mail )?(?:address|recipient|sender|mailbox)",
    r"malformed (?:address|recipient|sender|e-?mail|local)|missing or malformed",
    r"fully[- ]qualified (?:address|e-?mail)",
    r"not (?:a |an )?(?:valid|proper|rfc[- ]?\d*[- ]?compliant) (?:e-?mail )?address",
    r"invalid (?:e-?mail )?address (?:format|syntax)|illegal (?:address|character)|"
    r"address format|domain (?:part )?(?:is )?missing|must be specified with a domain",
    r"(?:nieprawidłow|niepoprawn)\w* (?:format|składni)",
)
P_NOT_LOCAL = pattern(
    "user not local",
    r"user not local|not a local (?:user|recipient|address)|please try <",
)
P_DOMAIN_NO_MAIL = pattern(
    "domain does not accept mail (null MX)",
    r"domain (?:does not|doesn't) accept (?:e-?)?mail|null ?mx|accepts no mail",
    r"domena[^.]{0,20}nie przyjmuje poczty",
)
P_SERVER_NO_MAIL = pattern(
    "server does not accept mail",
    r"(?:server|host|system) (?:does not|doesn't) accept (?:e-?)?mail",
)
P_UNKNOWN = pattern(
    "recipient unknown",
    r"\b(?:user|recipient|addressee|mailbox|address|account|alias|local[- ]part|rcpt)s? (?:is )?"
    r"(?:unknown|not found|not known|does ?n[o']t exist|not exist\w*|non-?existent|invalid|"
    r"not valid)",
    r"\b(?:unknown|invalid|non-?existent|nonexisting|bad) (?:user|recipient|addressee|mailbox|"
    r"local[- ]part|alias|e-?mail address|address|account|rcpt|destination mailbox)",
    r"no such (?:user|recipient|mailbox|account|address|person|addressee|alias|local user)",
    r"no mailbox|mailbox not found|unrout(?:e)?able|undeliverable address|address unknown",
    r"not a (?:valid|known) (?:user|recipient|mailbox|address)",
    r"(?:does ?n[o']t|does not) have an? [\w.-]+ account|tried to reach does not exist",
    r"not listed in",
    r"nie istnieje|nie ma takiego|nieznan\w* (?:użytkownik|odbiorc|adres|skrzynk)",
    r"(?:użytkownik|odbiorc|adres|skrzynk)\w* (?:jest )?nieznan",
    r"brak (?:takiego )?(?:użytkownika|odbiorcy|skrzynki)",
)
P_REPUTATION = pattern(
    "blocklist or poor reputation",
    r"bl[ao]ck ?-?list|bl[ao]cklisted|black ?listed|\bdnsbl\b|\brbl\b|blocked using",
    r"\blisted (?:at|on|by)\b|\b(?:is|are|been|currently) listed in\b",
    r"spamhaus|spamcop|sorbs|barracuda|uceprotect|abuseat|\bcbl\b|\bpbl\b|\bsbl\b|\bxbl\b",
    r"senderscore|sender score|cloudmark|proofpoint|ipcheck|mailspike|\bpsbl\b",
    r"reputation",
    r"dynamic(?:ally)?[- ](?:assigned[- ])?(?:ip|address|pool|range)|dial-?up|residential|"
    r"end-?user (?:ip|range)",
    r"reverse dns|\brdns\b|\bptr\b|reverse (?:lookup|mapping|hostname)|cannot find your "
    r"(?:hostname|reverse)|client host rejected|no reverse|ip name lookup failed",
    r"banned sending ip|not accepted from this ip|connections (?:will )?not (?:be )?accepted from",
    r"\byour ip\b|ip address[^.]{0,40}(?:blocked|rejected|listed|banned)",
    r"\b(?:host|ip|network|client)\b[^.]{0,30}(?:is )?(?:blocked|banned)",
    r"czarn\w* li(?:st|ś)",
)
P_BAD_DOMAIN = pattern(
    "recipient domain not found",
    r"\b(?:domain|host|hostname|mx)\b[^;]{0,40}?(?:not found|does ?n[o']t exist|not exist|unknown|"
    r"not resolv\w*|unresolvable|could not be (?:found|resolved))",
    r"(?:no such|unknown|invalid|non-?existent) (?:domain|host)\b|nxdomain|nonexistentdomain",
    r"\bno mx\b|mx lookup|unable to (?:find|resolve|route)|find the recipient domain",
    r"invalid (?:dns )?mx",
    r"name service error|host or domain name not found",
    r"domen\w*[^.]{0,30}nie istnieje",
)
P_SPAM = pattern(
    "spam or suspicious content",
    r"spam|junk|unsolicited|\bbulk\b|\buce\b",
    r"content (?:filter|rejected|policy|restrictions?|not accepted)|message content",
    r"rejected (?:by|due to) (?:the )?(?:content|filter|anti)|\bscor(?:e|ed|ing)\b",
    r"suspicious|phishing|fraud|\bscam\b|high probability",
    r"(?:unacceptable|inappropriate|prohibited|objectionable) content|content (?:is )?unacceptable",
    r"niechcian\w*",
)
P_MAILBOX_UNAVAILABLE = pattern(
    "mailbox unavailable or busy",
    r"mailbox (?:is )?(?:currently |temporarily )?(?:unavailable|not available|busy|locked|"
    r"in use|inaccessible)",
    r"mailbox unavailable",
    r"skrzynk\w*[^.]{0,20}(?:niedostępn|zajęt)",
)
P_MAILBOX_BUSY = pattern(
    "mailbox busy or locked", r"mailbox (?:is )?(?:temporarily |currently )?(?:busy|locked|in use)"
)
P_SERVICE = pattern(
    "service not available",
    r"service (?:is )?(?:currently |temporarily )?(?:not available|unavailable)",
    r"server (?:is )?(?:busy|overloaded|shutting down|going down|not available)",
    r"closing (?:transmission )?(?:channel|connection)|system (?:is )?(?:busy|overloaded)",
)
P_REFUSED = pattern(
    "rejected, denied, not allowed",
    r"reject|refus|\bden(?:y|ied)\b|prohibit|forbidden|blocked|not (?:allowed|permitted|"
    r"authori[sz]ed|accepted)|\bpolicy\b|administrative|restricted|unacceptable",
    r"odrzuc|zablokow|odmow|niedozwol",
)
P_TEMPORARY = pattern(
    "try again later, local error",
    r"try (?:again )?later|retry (?:later|again)|temporar\w*|local (?:error|problem)",
    r"internal (?:server )?error|system error|server error|processing error|error in processing",
    r"lookup fail\w*|database|timed? ?out|resources?",
    r"spróbuj (?:ponownie )?później|tymczasow\w*",
)
P_AUTH_CMD = pattern(
    "AUTH not enabled or not advertised",
    r"\bauth\w*\b[^.]{0,30}(?:not (?:enabled|advertised|available|supported|implemented|"
    r"allowed)|disabled|unrecognized|unknown)",
    r"not (?:enabled|advertised|available|supported|implemented)",
)

# --------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------

M = Meaning
_AUTH_INVALID = M(AUTH_INVALID_CREDENTIALS, AUTH_TEMPORARY_FAILURE)
_UNKNOWN = M(RECIPIENT_UNKNOWN, RECIPIENT_UNKNOWN_TEMPORARY)
_BAD_DOMAIN = M(RECIPIENT_BAD_DOMAIN, RECIPIENT_BAD_DOMAIN_TEMPORARY)
_RCPT_REJECTED = M(RECIPIENT_REJECTED, RECIPIENT_REJECTED_TEMPORARY)
_MAILBOX = M(MAILBOX_UNAVAILABLE, MAILBOX_BUSY)
_DISABLED = M(MAILBOX_DISABLED, MAILBOX_DISABLED_TEMPORARY)
_FULL = M(MAILBOX_FULL, MAILBOX_FULL_TEMPORARY)
_TOO_BIG = M(MESSAGE_TOO_BIG, MESSAGE_TOO_BIG_TEMPORARY)
_SENDER = M(SENDER_REJECTED, SENDER_REJECTED_TEMPORARY)
_SENDER_INVALID = M(SENDER_INVALID, SENDER_REJECTED_TEMPORARY)
_SENDER_BLOCKED = M(SENDER_BLOCKED)
_NOT_OWNED = M(SENDER_NOT_OWNED)
_POLICY = M(REJECTED_POLICY, REJECTED_POLICY_TEMPORARY)
_REPUTATION = M(REJECTED_REPUTATION, REJECTED_REPUTATION_TEMPORARY)
_SENDER_AUTH = M(REJECTED_SENDER_AUTHENTICATION, REJECTED_SENDER_AUTHENTICATION_TEMPORARY)
_RELAY = M(REJECTED_RELAY, REJECTED_RELAY_TEMPORARY)
_SPAM = M(MESSAGE_SPAM, MESSAGE_SPAM_TEMPORARY)
_RATE = M(RATE_LIMITED, RATE_LIMITED_TEMPORARY)
_RECIPIENTS = M(RATE_TOO_MANY_RECIPIENTS, RATE_TOO_MANY_RECIPIENTS_TEMPORARY)
_DAILY = M(DAILY_QUOTA, DAILY_QUOTA)
_ATTEMPTS = M(AUTH_TOO_MANY_ATTEMPTS, AUTH_TOO_MANY_ATTEMPTS)
_SERVER = M(SERVER_ERROR, SERVER_ERROR_TEMPORARY)
_STORAGE = M(SERVER_ERROR, SERVER_NO_SPACE)
_SERVICE = M(SERVER_NO_MAIL, SERVICE_UNAVAILABLE)
_TLS_UNAVAILABLE = M(TLS_REFUSED, TLS_UNAVAILABLE)
_CONTENT = M(MESSAGE_INVALID_CONTENT, REJECTED_POLICY_TEMPORARY)
_HELO = M(REJECTED_HELO, REJECTED_POLICY_TEMPORARY)
_PARAMS = M(COMMAND_PARAMETER_NOT_IMPLEMENTED, COMMAND_PARAMETERS_UNAVAILABLE)

_NOT_MAIL = ("connect", "ehlo", "starttls", "auth", "rcpt", "data", "quit", "rset", "")

RULES: tuple[Rule, ...] = (
    *tier(
        "overrides",
        rule(_DAILY, text=P_DAILY),
        rule(_ATTEMPTS, text=P_LOGIN_ATTEMPTS),
        rule(M(AUTH_APP_PASSWORD_REQUIRED), text=P_APP_PASSWORD),
        rule(M(AUTH_WEB_LOGIN_REQUIRED), text=P_WEB_LOGIN),
        rule(M(AUTH_MECHANISM_UNSUPPORTED), text=P_MECHANISM),
        rule(M(None, RATE_TOO_MANY_CONNECTIONS), text=P_CONNECTIONS),
        rule(_RECIPIENTS, text=P_RECIPIENTS),
        rule(_FULL, text=P_FULL_MESSAGES),
        rule(_RATE, text=P_RATE),
        rule(M(None, REJECTED_GREYLISTED), text=P_GREYLIST),
        rule(_SENDER_BLOCKED, text=P_SENDER_BLOCKED),
        rule(M(AUTH_REQUIRED), text=P_NOT_LOGGED_IN),
        rule(_NOT_OWNED, text=P_NOT_OWNED),
        rule(_SENDER_INVALID, text=P_SENDER_SYNTAX),
        rule(_SENDER, text=P_SENDER),
        rule(_RELAY, text=P_RELAY),
        rule(M(RECIPIENT_RESTRICTED), text=P_RESTRICTED),
        rule(_UNKNOWN, text=P_EXCHANGE_NOT_FOUND),
    ),
    *tier(
        "enhanced",
        # Yahoo answers "554 5.7.9 Message not accepted for policy reasons".
        rule(_POLICY, enh="7.9", text=P_POLICY_REASONS),
        rule(M(AUTH_ACCOUNT_DISABLED), enh="7.8", stage=AUTH_STAGES, text=P_ACCOUNT_DISABLED),
        rule(_AUTH_INVALID, enh="7.8", stage=AUTH_STAGES),
        rule(M(AUTH_MECHANISM_TOO_WEAK), enh="7.9", stage=AUTH_STAGES),
        rule(M(TLS_REQUIRED), enh="7.10"),
        rule(M(AUTH_ENCRYPTION_REQUIRED), enh="7.11"),
        rule(M(None, AUTH_PASSWORD_TRANSITION), enh="7.12"),
        rule(M(AUTH_ACCOUNT_DISABLED), enh="7.13", stage=AUTH_STAGES),
        rule(_SENDER_BLOCKED, enh="7.13", stage="mail"),
        rule(_DISABLED, enh="7.13"),
        rule(M(AUTH_WEB_LOGIN_REQUIRED), enh="7.14", stage=AUTH_STAGES),
        rule(M(AUTH_MECHANISM_UNSUPPORTED), enh="7.4"),
        rule(M(AUTH_REQUIRED), enh="7.57"),
        rule(_NOT_OWNED, enh="7.60"),
        rule(_RELAY, enh=("7.54", "7.64")),
        rule(M(RECIPIENT_RESTRICTED), enh="7.133-136"),
        rule(_SENDER_AUTH, enh=("7.20-24", "7.26", "7.29")),
        rule(_REPUTATION, enh="7.25"),
        rule(_SENDER, enh="7.27"),
        rule(_RATE, enh="7.28"),
        rule(_SENDER, enh=("1.1", "1.2"), stage="mail"),
        rule(_UNKNOWN, enh="1.1"),
        rule(_BAD_DOMAIN, enh="1.2"),
        rule(_SENDER_INVALID, enh="1.3", stage="mail"),
        rule(M(RECIPIENT_BAD_ADDRESS, RECIPIENT_REJECTED_TEMPORARY), enh="1.3"),
        rule(M(RECIPIENT_NOT_LOCAL), enh="1.6"),
        rule(_SENDER_INVALID, enh="1.7"),
        rule(_SENDER, enh="1.8"),
        rule(M(RECIPIENT_DOMAIN_NO_MAIL), enh="1.10"),
        rule(_DAILY, enh="1.90"),  # Microsoft 365: daily recipient limit
        rule(_FULL, enh="2.1", text=P_FULL),
        rule(_DISABLED, enh="2.1"),
        rule(_FULL, enh="2.2"),
        rule(_TOO_BIG, enh=("2.3", "3.4")),
        rule(_STORAGE, enh="3.1"),
        rule(_SERVICE, enh="3.2"),
        # Exchange Online's directory-based edge blocking: "550 5.4.1 Recipient
        # address rejected: Access denied" (relaying, "5.4.1 Relay Access
        # Denied", is taken by the overrides).
        rule(_UNKNOWN, enh="4.1", text=P_EOP_DENIED),
        rule(_BAD_DOMAIN, enh="4.4"),
        rule(_RECIPIENTS, enh="5.3"),
        rule(M(ADDRESS_UTF8_UNSUPPORTED), enh="6.7"),
    ),
    *tier(
        "reply code",
        rule(M(None, AUTH_PASSWORD_TRANSITION), code=432),
        rule(M(TLS_REQUIRED), code=523),
        rule(M(TLS_REQUIRED), code=530, text=P_TLS_REQUIRED),
        rule(M(AUTH_ENCRYPTION_REQUIRED), code=530, stage="auth"),
        rule(M(AUTH_REQUIRED), code=530),
        rule(M(AUTH_MECHANISM_TOO_WEAK), code=534),
        rule(M(AUTH_ACCOUNT_DISABLED), code=535, text=P_ACCOUNT_DISABLED),
        rule(_AUTH_INVALID, code=535),
        rule(M(AUTH_ENCRYPTION_REQUIRED), code=538),
        rule(M(RECIPIENT_NOT_LOCAL), code=551),
        rule(M(RECIPIENT_DOMAIN_NO_MAIL), code=556),
        rule(M(SERVER_NO_MAIL), code=521),
        rule(_TLS_UNAVAILABLE, code=454, text=P_TLS_UNAVAILABLE),
        rule(_TLS_UNAVAILABLE, stage="starttls", not_code=421),
        rule(M(None, AUTH_TEMPORARY_FAILURE), code=454),
        rule(M(AUTH_MECHANISM_UNSUPPORTED), code=504, stage="auth"),
        rule(M(AUTH_NOT_SUPPORTED), code=502, stage="auth"),
        rule(M(AUTH_NOT_SUPPORTED), code=503, stage="auth", text=P_AUTH_CMD),
    ),
    *tier(
        "text",
        rule(_TLS_UNAVAILABLE, text=P_TLS_UNAVAILABLE),
        rule(M(TLS_REQUIRED), text=P_TLS_REQUIRED),
        rule(_SENDER_AUTH, text=P_SENDER_AUTH),
        rule(M(AUTH_REQUIRED), text=P_AUTH_REQUIRED),
        rule(M(AUTH_ACCOUNT_DISABLED), stage="auth", text=P_ACCOUNT_DISABLED),
        rule(_AUTH_INVALID, text=P_AUTH_FAILED),
        rule(_HELO, text=P_HELO),
        rule(_CONTENT, stage="data", text=P_INVALID_CONTENT),
        rule(M(ADDRESS_UTF8_UNSUPPORTED), text=P_UTF8),
        rule(_FULL, text=P_FULL),
        rule(_STORAGE, text=P_SERVER_STORAGE),
        rule(_TOO_BIG, text=P_TOO_BIG),
        rule(M(MESSAGE_DANGEROUS_CONTENT), text=P_VIRUS),
        rule(_SENDER_INVALID, stage="mail", text=P_BAD_ADDRESS),
        rule(M(RECIPIENT_BAD_ADDRESS, RECIPIENT_REJECTED_TEMPORARY), text=P_BAD_ADDRESS),
        rule(M(RECIPIENT_NOT_LOCAL), text=P_NOT_LOCAL),
        rule(M(RECIPIENT_DOMAIN_NO_MAIL), text=P_DOMAIN_NO_MAIL),
        rule(M(SERVER_NO_MAIL), text=P_SERVER_NO_MAIL),
        rule(_SENDER_BLOCKED, stage="mail", text=P_ACCOUNT_DISABLED),
        rule(_UNKNOWN, text=P_UNKNOWN),
        rule(_REPUTATION, text=P_REPUTATION),
        rule(_BAD_DOMAIN, text=P_BAD_DOMAIN),
        rule(_SPAM, text=P_SPAM),
        rule(_MAILBOX, text=P_MAILBOX_BUSY),
        rule(_DISABLED, text=P_ACCOUNT_DISABLED),
    ),
    *tier(
        "protocol",
        rule(M(None, SERVICE_UNAVAILABLE), code=421),
        rule(M(SERVICE_REFUSED), code=554, stage="connect"),
        rule(M(COMMAND_INVALID), code=500),
        rule(M(COMMAND_BAD_ARGUMENTS), code=501),
        rule(M(COMMAND_NOT_IMPLEMENTED), code=502),
        rule(M(COMMAND_BAD_SEQUENCE), code=503),
        rule(_PARAMS, code=(504, 555, 455)),
        rule(_SENDER, code=553, stage="mail"),
        rule(M(MAILBOX_NAME_INVALID), code=553),
    ),
    *tier(
        "enhanced class",
        # Any other refusal of AUTH is a refused login.
        rule(_AUTH_INVALID, stage="auth"),
        rule(_SENDER, enh="1", stage="mail"),
        rule(_RCPT_REJECTED, enh="1"),
        rule(_MAILBOX, enh="2"),
        rule(_SERVER, enh=("3", "4")),
        rule(_CONTENT, enh="6"),
        # x.7.0 ("other security status") says too little: the text decides first.
        rule(_POLICY, enh="7.1-999"),
    ),
    *tier(
        "generic text",
        rule(_MAILBOX, text=P_MAILBOX_UNAVAILABLE),
        rule(M(None, SERVICE_UNAVAILABLE), text=P_SERVICE),
        rule(_POLICY, text=P_REFUSED),
        rule(_SERVER, text=P_TEMPORARY),
    ),
    *tier(
        "default",
        rule(_POLICY, enh="7"),
        rule(M(None, MAILBOX_BUSY), code=450),
        rule(M(None, SERVER_ERROR_TEMPORARY), code=451),
        rule(M(None, SERVER_NO_SPACE), code=452),
        rule(_SENDER, code=550, stage="mail"),
        rule(M(MAILBOX_UNAVAILABLE), code=550),
        rule(_FULL, code=552, stage="rcpt"),
        rule(_TOO_BIG, code=552),
        rule(M(TRANSACTION_FAILED), code=554),
    ),
    *tier(
        "class",
        rule(M(SERVER_UNKNOWN, SERVER_ERROR_TEMPORARY)),
    ),
)
"""The reply table, in the order it is tried."""


def match(reply: ParsedReply, rules: tuple[Rule, ...]) -> ErrorSpec | None:
    """The key of the first rule that matches ``reply`` and has one for its class."""
    for r in rules:
        if r.matches(reply):
            spec = r.meaning.for_class(reply.klass)
            if spec is not None:
                return spec
    return None


def classify(reply: ServerReply, *, stage: str) -> ErrorSpec:
    """The error key for a server reply at ``stage``.

    :param reply: the reply; its enhanced code is read from the text when empty.
    :param stage: ``connect``, ``ehlo``, ``starttls``, ``auth``, ``mail``, ``rcpt``,
        ``data``, ``quit`` (anything else counts as unknown).
    :returns: the matching spec; ``server.unknown`` for replies that are not
        4xx/5xx failures.
    """
    parsed = parse(reply, stage=stage)
    if parsed is None:
        return SERVER_UNKNOWN
    return match(parsed, RULES) or SERVER_UNKNOWN
