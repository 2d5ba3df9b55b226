"""Error keys and texts of the IMAP probe (``check.imap.*``).

The keys keep the ``check.`` prefix they had when the core probed IMAP itself:
they are stable, and hosts may match on them.  TLS failures reuse the SMTP
plugin's ``tls.*`` keys when it is installed (see :mod:`mailplug_imap.probe`).
"""

from __future__ import annotations

from mailplug.plugin import Category, ErrorSpec, Text

C = Category

IMAP_HOST_NOT_FOUND = ErrorSpec(
    "check.imap.host_not_found",
    C.CONNECTION,
    True,
    "Connection failed: the IMAP server name {host} could not be found.",
    "Check the spelling of the IMAP server name in the account settings and the network "
    "connection.",
)
IMAP_CONNECT_FAILED = ErrorSpec(
    "check.imap.connect_failed",
    C.CONNECTION,
    True,
    "Connection failed: the IMAP server {host} port {port} could not be reached ({problem}).",
    "Check the IMAP server name and port in the account settings (usually 993 with “tls”).",
)
IMAP_NOT_IMAP = ErrorSpec(
    "check.imap.not_imap",
    C.CONNECTION,
    False,
    "The server {host} port {port} did not answer like an IMAP server ({problem}).",
    "Check the IMAP port and security in the account settings (993 with “tls” or 143 with "
    "“starttls”).",
)
IMAP_REFUSED = ErrorSpec(
    "check.imap.refused",
    C.SERVER,
    False,
    "The IMAP server {host} refused the connection.",
    "Contact the administrator of the mail server. Also try using another mail account.",
)
IMAP_TLS_FAILED = ErrorSpec(
    "check.imap.tls_failed",
    C.ENCRYPTION,
    False,
    "The encrypted connection to the IMAP server {host} port {port} could not be set up "
    "({problem}).",
    "Check the IMAP security and port in the account settings (993 with “tls” or 143 with "
    "“starttls”).",
)
IMAP_STARTTLS_UNAVAILABLE = ErrorSpec(
    "check.imap.starttls_unavailable",
    C.ENCRYPTION,
    False,
    "The connection requires encryption, but the IMAP server {host} does not offer STARTTLS.",
    "Set the IMAP security to “tls” with port 993, or contact the administrator of the server.",
)
IMAP_LOGIN_DISABLED = ErrorSpec(
    "check.imap.login_disabled",
    C.ENCRYPTION,
    False,
    "Encryption is required to log in: the IMAP server {host} does not accept a login over "
    "an unencrypted connection.",
    "Set the IMAP security to “tls” (port 993) or “starttls” (port 143).",
)
IMAP_LOGIN_FAILED = ErrorSpec(
    "check.imap.login_failed",
    C.AUTHENTICATION,
    False,
    "Incorrect login data: the IMAP server {host} refused the login of {username}.",
    "Check the user name and password in the e-mail settings. Some providers want only the "
    "part of the address before @ as the IMAP user name.",
    pauses="account",
)
IMAP_TIMEOUT = ErrorSpec(
    "check.imap.timeout",
    C.CONNECTION,
    True,
    "Connection failed: the IMAP server {host} port {port} did not answer in time.",
    "Check the IMAP server name and port in the account settings and the network connection.",
)

# -- the copy of sent mail in the Sent folder -------------------------------------

_SENT_ANYWAY = "The message itself was sent; the copy will be tried again later."

IMAP_SENT_NO_FOLDER = ErrorSpec(
    "imap.sent.no_folder",
    C.CONFIGURATION,
    False,
    "The copy of the sent message could not be saved: the IMAP server {host} does not say "
    "which folder holds sent mail.",
    "Enter the name of the folder for sent mail in the account's IMAP settings "
    "(imap.sent_folder, as the mail program shows it), or turn the copies off "
    '(imap.save_sent = "off"). ' + _SENT_ANYWAY,
)
IMAP_SENT_FOLDER_MISSING = ErrorSpec(
    "imap.sent.folder_missing",
    C.CONFIGURATION,
    False,
    "The copy of the sent message could not be saved: the folder “{folder}” does not exist "
    "on the IMAP server {host}.",
    "Check the name of the folder for sent mail in the account's IMAP settings "
    "(imap.sent_folder), or create that folder in the mail program. " + _SENT_ANYWAY,
)
IMAP_SENT_QUOTA = ErrorSpec(
    "imap.sent.quota",
    C.MAILBOX_FULL,
    True,
    "The copy of the sent message could not be saved: the mailbox on the IMAP server {host} "
    "is full.",
    "Delete old messages or empty the trash in this mailbox. " + _SENT_ANYWAY,
)
IMAP_SENT_REFUSED = ErrorSpec(
    "imap.sent.refused",
    C.SERVER,
    True,
    "The IMAP server {host} refused to save the copy of the sent message in the folder "
    "“{folder}” ({problem}).",
    "If this keeps happening, contact the administrator of the mail server. " + _SENT_ANYWAY,
)

IMAP_ERRORS: tuple[ErrorSpec, ...] = tuple(
    v for v in list(globals().values()) if isinstance(v, ErrorSpec)
)

SKIP_NO_IMAP = Text("the account has no IMAP settings")
SUMMARY_IMAP = Text("{host} port {port}: {greeting}")
SUMMARY_IMAP_LOGIN = Text("logged in as {username}")

FETCH_SUMMARY = Text(
    "{account}: {examined} new message(s), {reports} report(s), {changes} change(s) recorded, "
    "{unmatched} not matched",
    context="imap.fetch",
)
FETCH_CHANGE = Text("  {address}: {state} — {reason}", context="imap.fetch")
FETCH_UNMATCHED = Text(
    "  not matched to any sent message: “{subject}” (original {original})", context="imap.fetch"
)

IMAP_TEXTS: tuple[Text, ...] = (
    SKIP_NO_IMAP,
    SUMMARY_IMAP,
    SUMMARY_IMAP_LOGIN,
    FETCH_SUMMARY,
    FETCH_CHANGE,
    FETCH_UNMATCHED,
)
