"""The error keys of server replies: what a 4xx or 5xx reply can mean.

Each :class:`~mailplug.plugin.ErrorSpec` here is one meaning a server's reply
can have (wrong password, unknown recipient, mailbox full, greylisted …), with
its category, whether it passes by itself (``transient``), the sentence the
user reads and the advice.  Which reply means which key is decided by the
reply table in :mod:`mailplug_smtp.rules` (and, before it, by
:mod:`mailplug_smtp.providers`); ``docs/smtp-replies.md`` lists both.

A key's ``transient`` flag follows the reply class, with deliberate
exceptions: :data:`DAILY_QUOTA` (Gmail sends ``550 5.4.5``),
:data:`RATE_LIMITED` (``550 … too many mails``, ``5.2.121``) and
:data:`AUTH_TOO_MANY_ATTEMPTS` (Yahoo sends ``535``) are transient because
they lift by themselves.
"""

from __future__ import annotations

from mailplug.plugin import Category, ErrorSpec

from . import keys as client_keys

__all__ = ["REPLY_ERRORS"]

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
    "right now (a problem on its side).",
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
    "In the account settings, turn on logging in to the outgoing mail server (SMTP): set "
    "`auth` to `password` and enter the login and password of the mailbox.",
    pauses="account",
)
#: A refusal ("Client host rejected: Access denied", "Relay access denied") on a
#: connection that did not log in although the server offered AUTH: chosen by the
#: session, which knows both facts (see ``SmtpConnection.reply_error``).
AUTH_LOGIN_NOT_SET = ErrorSpec(
    "smtp.auth.login_not_set",
    C.AUTHENTICATION,
    False,
    "This account does not log in, but the server offers a login and refused the message "
    "without one.",
    "Turn on logging in for this account: set `auth` to `password` and enter the login and "
    "password of the mailbox (or use the provider's OAuth login).",
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
    "The server needs an app password: the account uses two-step verification, so the "
    "normal password is not accepted here, even when it is correct.",
    "Create an app password in the security settings of your mail account (Google: "
    "myaccount.google.com → Security → App passwords) and enter it in the e-mail settings "
    "instead of the normal password, or switch the account to the provider's OAuth login.",
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
    "The server is busy or temporarily unavailable: it is not accepting mail right now.",
    A_RETRY,
)
SERVICE_REFUSED = ErrorSpec(
    "smtp.service.refused",
    C.SERVER,
    False,
    "The server refused to serve this connection: it answered the greeting with a refusal.",
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
    "The recipient's mailbox is not on this server, and the server will not pass the message on.",
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
    "The recipient's mailbox is unavailable: the server did not accept the message for it.",
    "Check the recipient's address. If it is correct, the recipient's mailbox may be closed or "
    "blocked: contact the recipient another way.",
)
MAILBOX_BUSY = ErrorSpec(
    "smtp.mailbox.busy",
    C.RECIPIENT,
    True,
    "The recipient's mailbox is unavailable for now: busy or locked. The server did not "
    "accept the message for this recipient yet.",
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
#: The sender's domain publishes a null MX (RFC 7505): it says it sends no mail.
SENDER_NULL_MX = ErrorSpec(
    "smtp.sender.null_mx",
    C.REJECTED,
    False,
    "The server refused the sender's address because its domain says it does not accept mail "
    "(null MX), so replies could never reach it.",
    "Send from an address whose domain receives mail, or ask the administrator of the "
    "sender's domain to replace its null MX record with a real mail server.",
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
#: A content policy (not spam): a rule about what messages may contain, applied after DATA.
MESSAGE_CONTENT_POLICY = ErrorSpec(
    "smtp.message.content_policy",
    C.REJECTED,
    False,
    "The recipient's server refused the message because of its rules about message content "
    "(a content policy), not because of the address or the sending server.",
    "Check what the message contains (attachments, links, wording) against the recipient's "
    "rules, change it and send it again, or ask the recipient's administrator which rule it "
    "broke, quoting the server's reply shown above.",
)
MESSAGE_CONTENT_POLICY_TEMPORARY = ErrorSpec(
    "smtp.message.content_policy_temporary",
    C.REJECTED,
    True,
    "The recipient's server put off the message because of its rules about message content.",
    A_RETRY,
)
#: A bare 554 ("Transaction failed", RFC 5321): a failure that names no cause, so it
#: is the server's (category server), not a stated refusal of the message.
TRANSACTION_FAILED = ErrorSpec(
    "smtp.transaction.failed",
    C.SERVER,
    False,
    "Delivery failed: the server refused the message without giving a reason.",
    A_ADMIN,
)

# -- connection --------------------------------------------------------------------------

CONNECTION_PROBLEM = ErrorSpec(
    "smtp.connection.problem",
    C.CONNECTION,
    True,
    "The connection was dropped during the delivery: the server reported a broken or "
    "timed-out connection.",
    A_RETRY,
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

REJECTED_HELO_TEMPORARY = ErrorSpec(
    "smtp.rejected.helo_temporary",
    C.CONFIGURATION,
    True,
    "The server could not confirm the name this computer introduced itself with (HELO/EHLO): "
    "it found no such name in DNS for now.",
    "The message will be sent again automatically. If it keeps happening, set the local host "
    "name in the account settings (local_hostname) to this computer's full name in DNS, or "
    "leave it empty to use the default.",
)

# -- rate limits -------------------------------------------------------------------------

#: The *recipient* receives mail faster than its provider allows (Gmail ``450 4.2.1``,
#: Microsoft ``5.2.122``): nothing is wrong on the sender's side.
RATE_RECIPIENT_RECEIVING = ErrorSpec(
    "smtp.rate.recipient_receiving",
    C.RATE_LIMIT,
    True,
    "The recipient's mailbox is receiving more mail than its provider allows in a short time, "
    "so it accepts no more messages for now.",
    "Nothing is wrong on your side and nothing needs to change: the message will be sent to "
    "this recipient again automatically later.",
)

RATE_LIMITED = ErrorSpec(
    "smtp.rate.limited",
    C.RATE_LIMIT,
    True,
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
#: whatever the reply class; ``retry="quota-reset"``: the outbox defers the
#: account's mail until the quota resets instead of failing it.
DAILY_QUOTA = ErrorSpec(
    "smtp.rate.daily_quota",
    C.RATE_LIMIT,
    True,
    "The daily sending limit of this account has been reached.",
    "The message will be sent automatically after the limit resets (usually within 24 hours). "
    "To send more, use another mail account.",
    retry="quota-reset",
)

REPLY_ERRORS: tuple[ErrorSpec, ...] = tuple(
    v for v in list(globals().values()) if isinstance(v, ErrorSpec) and v.key.startswith("smtp.")
)
"""Every key of the reply table, in the order defined above."""
