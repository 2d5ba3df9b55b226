"""Error keys of the SMTP plugin that do not come from a server reply code.

Client-side failures (network, TLS, the account's own security settings) are
mapped to these at the transport boundary.  Keys for server replies (the
400–599 table) live in :mod:`mailplug_smtp.replies`.
"""

from __future__ import annotations

from mailplug.plugin import Category, ErrorSpec, Text

C = Category

_CHECK_SERVER = (
    "Check the server name and port in the account settings. Contact the administrator of the "
    "server. Also try using another mail account."
)
_TRY_LATER = (
    "The message will be sent again automatically. If the problem persists, contact the "
    "administrator of the server or try another mail account."
)

CONNECT_REFUSED = ErrorSpec(
    "smtp.connect.refused",
    C.CONNECTION,
    True,
    "Connection failed: the server {host} port {port} refused the connection.",
    _CHECK_SERVER,
)
CONNECT_DNS = ErrorSpec(
    "smtp.connect.dns",
    C.CONNECTION,
    True,
    "Connection failed: the server name {host} could not be found.",
    "Check the spelling of the server name in the account settings and the network connection.",
)
CONNECT_TIMEOUT = ErrorSpec(
    "smtp.connect.timeout",
    C.CONNECTION,
    True,
    "Connection failed: the server {host} port {port} did not answer in time.",
    _CHECK_SERVER,
)
READ_TIMEOUT = ErrorSpec(
    "smtp.timeout",
    C.CONNECTION,
    True,
    "Connection failed: the server {host} stopped answering during {stage}.",
    _TRY_LATER,
    translated=("stage",),
)
DISCONNECTED = ErrorSpec(
    "smtp.disconnected",
    C.CONNECTION,
    True,
    "Connection failed: the server {host} closed the connection during {stage}.",
    _TRY_LATER,
    translated=("stage",),
)
UNCERTAIN = ErrorSpec(
    "smtp.uncertain",
    C.CONNECTION,
    True,
    "The connection to {host} was lost after the message was transmitted, before the server "
    "confirmed it: the message may or may not have been delivered.",
    "The message will be sent again with the same Message-ID, so recipients can recognise a "
    "duplicate. Check the Sent folder or ask a recipient if in doubt.",
    retry="uncertain",
)
TLS_HANDSHAKE = ErrorSpec(
    "tls.handshake_failed",
    C.ENCRYPTION,
    False,
    "The connection requires encryption, but the encrypted connection to {host} could not be "
    "set up ({problem}).",
    "Check the security setting and port of the account (587 with STARTTLS or 465 with TLS).",
    pauses="account",
)
TLS_WRONG_MODE = ErrorSpec(
    "tls.wrong_mode",
    C.ENCRYPTION,
    False,
    "The server {host} port {port} does not speak the encryption mode set in the account "
    "({security}).",
    "Use security “starttls” with port 587 (or 25), or “tls” with port 465.",
    pauses="account",
)
TLS_CERT_UNTRUSTED = ErrorSpec(
    "tls.certificate_untrusted",
    C.ENCRYPTION,
    False,
    # OpenSSL's own words ("self-signed certificate") stay in the details, not here.
    "The certificate of the server {host} is not trusted: it is self-signed or issued by an "
    "authority this computer does not know.",
    "If this is your company's own server, set the path of its CA certificate (ca_file) in the "
    "account settings; otherwise contact the server's administrator.",
    pauses="account",
)
TLS_CERT_EXPIRED = ErrorSpec(
    "tls.certificate_expired",
    C.ENCRYPTION,
    False,
    "The certificate of the server {host} has expired or is not yet valid.",
    "Contact the administrator of the server: the certificate must be renewed. Also check "
    "that this computer's date and time are correct.",
    pauses="account",
)
TLS_CERT_HOSTNAME = ErrorSpec(
    "tls.certificate_wrong_host",
    C.ENCRYPTION,
    False,
    "The certificate of the server was issued for another name than {host}.",
    "Use the server name the certificate was issued for (ask your provider), or contact the "
    "administrator of the server.",
    pauses="account",
)
TLS_VERSION = ErrorSpec(
    "tls.version_too_old",
    C.ENCRYPTION,
    False,
    "The server {host} does not support TLS {min_tls} or newer, which the account requires.",
    "Lower the minimum TLS version in the account settings only if you trust the network, or "
    "ask the administrator to enable TLS 1.2 or 1.3 on the server.",
    pauses="account",
)
STARTTLS_UNAVAILABLE = ErrorSpec(
    "tls.starttls_unavailable",
    C.ENCRYPTION,
    False,
    "The connection requires encryption, but the server {host} does not offer STARTTLS.",
    "Check the port and security in the account settings (465 with “tls”), or contact the "
    "administrator of the server. mailplug never falls back to an unencrypted connection.",
    pauses="account",
)
AUTH_UNAVAILABLE = ErrorSpec(
    "smtp.auth.unavailable",
    C.AUTHENTICATION,
    False,
    "The server {host} does not offer login (AUTH) on this connection.",
    "Check the port and security settings; many servers offer login only on port 587 with "
    "STARTTLS or 465 with TLS. If the server needs no login, set the login method to none.",
    pauses="account",
)
AUTH_NEEDS_TLS = ErrorSpec(
    "smtp.auth.needs_tls",
    C.ENCRYPTION,
    False,
    "Encryption is required to log in: the server {host} offers login only after STARTTLS.",
    "Set the account's security to “starttls” (port 587) or “tls” (port 465).",
    pauses="account",
)
AUTH_PLAINTEXT_REFUSED = ErrorSpec(
    "smtp.auth.plaintext_refused",
    C.ENCRYPTION,
    False,
    "The password would be sent without encryption to {host}, so mailplug did not send it.",
    "Set the account's security to “starttls” or “tls”. Only for a trusted local server may you "
    "allow plaintext login (allow_plaintext_auth = true).",
    pauses="account",
)
AUTH_MECHANISM_UNAVAILABLE = ErrorSpec(
    "smtp.auth.mechanism_unavailable",
    C.AUTHENTICATION,
    False,
    "The server {host} does not offer the login method {mechanism} (it offers: {offered}).",
    "Choose one of the offered login methods in the account settings, or leave it on automatic.",
    pauses="account",
)
SMTPUTF8_UNSUPPORTED = ErrorSpec(
    "smtp.smtputf8_unsupported",
    C.RECIPIENT,
    False,
    "An address contains non-ASCII characters before the @, but the server {host} does not "
    "support international addresses (SMTPUTF8).",
    "Use an address written in ASCII letters, or send through a server that supports SMTPUTF8.",
)
SIZE_EXCEEDED = ErrorSpec(
    "smtp.size_exceeded",
    C.MESSAGE_TOO_BIG,
    False,
    "The message ({size}) is larger than the server {host} accepts ({limit}).",
    "Remove or shrink attachments, or send large files as links.",
    sizes=("size", "limit"),
)

CLIENT_ERRORS: tuple[ErrorSpec, ...] = (
    CONNECT_REFUSED,
    CONNECT_DNS,
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    DISCONNECTED,
    UNCERTAIN,
    TLS_HANDSHAKE,
    TLS_WRONG_MODE,
    TLS_CERT_UNTRUSTED,
    TLS_CERT_EXPIRED,
    TLS_CERT_HOSTNAME,
    TLS_VERSION,
    STARTTLS_UNAVAILABLE,
    AUTH_UNAVAILABLE,
    AUTH_NEEDS_TLS,
    AUTH_PLAINTEXT_REFUSED,
    AUTH_MECHANISM_UNAVAILABLE,
    SMTPUTF8_UNSUPPORTED,
    SIZE_EXCEEDED,
)

# -- added by the transport ---------------------------------------------------

CONNECT_FAILED = ErrorSpec(
    "smtp.connect.failed",
    C.CONNECTION,
    True,
    "Connection failed: could not connect to the server {host} port {port} ({problem}).",
    _CHECK_SERVER,
)
PROTOCOL_ERROR = ErrorSpec(
    "smtp.protocol_error",
    C.CONNECTION,
    True,
    "Connection failed: the server {host} sent a reply that is not valid SMTP during {stage} "
    "({problem}).",
    _CHECK_SERVER,
    translated=("stage",),
)

CLIENT_ERRORS = (*CLIENT_ERRORS, CONNECT_FAILED, PROTOCOL_ERROR)

#: The one stage named in words, not by its SMTP command (``{stage}`` of the messages
#: above; the commands EHLO, MAIL FROM … read the same in every language).
STAGE_GREETING = Text("the greeting", context="stage")
STAGE_TEXTS = (STAGE_GREETING,)
