"""Error keys and texts of the account check (``mailplug accounts test``) and presets.

Mistakes the check diagnoses by probing (a security mode the port does not
speak) get their own keys here; the
rest reuse the transport's keys and add a :class:`~mailplug.check.Fix` that
names the setting to change.  Step titles, setting labels and the sentences
that name a fix are translatable :class:`~mailplug.errors.Text` objects.
"""

from __future__ import annotations

from .errors import Category, ErrorSpec, Text

C = Category

# --------------------------------------------------------------------------
# Diagnoses the SMTP probe makes by trying other ports and modes
# --------------------------------------------------------------------------

EXPECTS_STARTTLS = ErrorSpec(
    "check.expects_starttls",
    C.ENCRYPTION,
    False,
    "The server {host} port {port} starts unencrypted and switches to encryption with "
    "STARTTLS, but the account is set to TLS from the first byte (“tls”).",
    "Set the connection security to “starttls” for this port, or use port 465 with “tls”.",
    pauses="account",
)
EXPECTS_TLS = ErrorSpec(
    "check.expects_tls",
    C.ENCRYPTION,
    False,
    "The server {host} port {port} expects TLS from the first byte, but the account is set "
    "to “{security}”, so the server's greeting never arrived.",
    "Set the connection security to “tls” for this port, or use port 587 with “starttls”.",
    pauses="account",
)

# --------------------------------------------------------------------------
# Presets and ``accounts add``
# --------------------------------------------------------------------------

PRESET_UNKNOWN = ErrorSpec(
    "preset.unknown",
    C.CONFIGURATION,
    False,
    "There is no preset for the provider “{provider}”.",
    "Choose one of: {available}.",
)
PRESET_NOT_FOUND = ErrorSpec(
    "preset.no_match",
    C.CONFIGURATION,
    False,
    "No provider preset is known for the domain {domain}.",
    "Name the provider with --provider (one of: {available}), or give the server with --host.",
)
PRESET_HOST_NEEDED = ErrorSpec(
    "preset.host_needed",
    C.CONFIGURATION,
    False,
    "{provider} gives each customer their own server name (like {example}); it cannot be "
    "guessed from the address.",
    "Give your server name with --host; you find it in the {provider} customer panel.",
)
ACCOUNT_EXISTS = ErrorSpec(
    "preset.account_exists",
    C.CONFIGURATION,
    False,
    "An account named “{name}” already exists in {file}.",
    "Choose another name with --name, or change the existing account instead.",
)
PRESETS_UNREADABLE = ErrorSpec(
    "preset.unreadable",
    C.CONFIGURATION,
    False,
    "The table of provider presets cannot be read: {problem}.",
    "Reinstall mailplug; if a plugin adds presets, update or disable it.",
)

CHECK_ERRORS: tuple[ErrorSpec, ...] = tuple(
    v for v in list(globals().values()) if isinstance(v, ErrorSpec)
)

# --------------------------------------------------------------------------
# Step titles, statuses, fixes, summaries
# --------------------------------------------------------------------------

STEP_TITLES: dict[str, Text] = {
    "setup": Text("settings and mail component", context="check step"),
    "connect": Text("connection to the server", context="check step"),
    "greeting": Text("server greeting", context="check step"),
    "ehlo": Text("server capabilities (EHLO)", context="check step"),
    "tls": Text("encryption (TLS)", context="check step"),
    "auth": Text("login methods offered", context="check step"),
    "login": Text("login", context="check step"),
    "mail_from": Text("sender accepted (MAIL FROM)", context="check step"),
    "rcpt_to": Text("recipient accepted (RCPT TO)", context="check step"),
    "transport": Text("sending", context="check step"),
    "imap_connect": Text("IMAP connection", context="check step"),
    "imap_login": Text("IMAP login", context="check step"),
}

STATUS_PASSED = Text("OK", context="check status")
STATUS_FAILED = Text("failed", context="check status")
STATUS_SKIPPED = Text("skipped", context="check status")

#: Labels of the settings a fix can name (the dotted path is shown next to them).
SETTING_LABELS: dict[str, Text] = {
    "email": Text("sender address", context="setting"),
    "envelope_sender": Text("return address (envelope sender)", context="setting"),
    "transport": Text("sending method", context="setting"),
    "auth": Text("login method", context="setting"),
    "settings.host": Text("SMTP server", context="setting"),
    "settings.port": Text("SMTP port", context="setting"),
    "settings.security": Text("connection security", context="setting"),
    "settings.min_tls": Text("minimum TLS version", context="setting"),
    "settings.ca_file": Text("CA certificate file", context="setting"),
    "settings.local_hostname": Text("this computer's name (EHLO)", context="setting"),
    "auth_settings.username": Text("user name", context="setting"),
    "auth_settings.password": Text("password", context="setting"),
    "auth_settings.mechanism": Text("login mechanism", context="setting"),
    "imap.host": Text("IMAP server", context="setting"),
    "imap.port": Text("IMAP port", context="setting"),
    "imap.security": Text("IMAP connection security", context="setting"),
    "imap.username": Text("IMAP user name", context="setting"),
}

SETTING_NAMED = Text("“{label}” ({setting})")
FIX_CHANGE = Text("Change {setting} to “{value}”.")
FIX_CHANGE_TWO = Text("Change {setting} to “{value}” and {setting2} to “{value2}”.")
FIX_CHECK = Text("Check {setting}.")

REPORT_OK = Text("The account “{account}” passed the check.")
REPORT_FAILED = Text("The account “{account}” does not work: the step “{step}” failed.")
REPORT_HEADER = Text("Checking the account “{account}” ({where})")
ADVICE_LABEL = Text("What to do: {advice}")

SKIP_AFTER_FAILURE = Text("an earlier step failed")
SKIP_NO_TLS = Text("the account is set to no encryption")
SKIP_NO_LOGIN = Text("the account does not log in")
SKIP_NO_RCPT = Text("give a test recipient (--rcpt) to try it; nothing is sent")
SKIP_NO_PROBE = Text("the transport “{transport}” cannot be checked step by step")

SUMMARY_SETUP = Text("mailplug {version}; transport {transport}; login {auth}")
SUMMARY_CONNECT = Text("{host} port {port} ({address})")
SUMMARY_EHLO = Text("the server offers: {extensions}")
SUMMARY_TLS = Text(
    "{version}, {cipher}; certificate for {subject} issued by {issuer}, valid until {not_after}"
)
SUMMARY_TLS_UNVERIFIED = Text(
    "{version}, {cipher}; the certificate is not checked (verify = false)"
)
# The step title already says "offered": the summary is the list alone.
SUMMARY_AUTH = Text("{mechanisms}", context="check summary")
SUMMARY_LOGIN = Text("logged in as {username} ({mechanism})")
SUMMARY_ACCEPTED = Text("{address} accepted: {reply}")

NOTE_STARTTLS_OFFERED = Text(
    "The server offers encryption (STARTTLS), but the account does not use it: set the "
    "connection security to “starttls”."
)
NOTE_CERT_EXPIRES_SOON = Text(
    "The server's certificate expires in {n} day ({not_after}).",
    plural="The server's certificate expires in {n} days ({not_after}).",
)
NOTE_CERT_NAMES = Text("The certificate is issued for: {names}.")
NOTE_CERT_EXPIRED_ON = Text("The certificate was valid until {not_after}.")
NOTE_SERVER_TLS = Text("The server speaks {version} at most.")
NOTE_TOKEN_REFRESHED = Text("A fresh access token was obtained.")
NOTE_REFUSED_PLUGIN = Text("The plugin “{plugin}” was not loaded: {reason}")
NOTE_NOTHING_SENT = Text("Nothing was sent: the transaction was cancelled with RSET.")
NOTE_ANSWERS_ON = Text("The server answers on port {port} with “{security}”.")
NOTE_NO_LOGIN_BUT_OFFERED = Text(
    "This account does not log in, but the server offers a login ({mechanisms}) and refuses "
    "mail from clients that have not logged in. Set “auth” in the account settings."
)

# -- ``mailplug accounts add`` -----------------------------------------------

ADD_PROVIDER = Text("Provider: {name} (preset “{id}”)")
ADD_SOURCE = Text("Source: {source}")
ADD_UNVERIFIED = Text(
    "These values could not be confirmed against the provider's page; check them before you "
    "rely on them (“mailplug accounts test” shows whether they work)."
)
ADD_NO_PRESET = Text("No provider preset: the server you gave is used as it is.")
ADD_ACCOUNT = Text("Account “{name}”: {email}")
ADD_SMTP = Text("Outgoing mail (SMTP): {host}, port {port}, security “{security}”")
ADD_IMAP = Text("Incoming mail (IMAP): {host}, port {port}, security “{security}”")
ADD_LOGIN = Text("Login: {username}, method “{auth}”")
ADD_CONFIRM = Text("Save this account? [y]es / [n]o / [e]dit: ")
ADD_EDIT_FIELD = Text("{label} [{value}]: ")
ADD_HOST_PROMPT = Text("Your server name (like {example}): ")
ADD_INVALID_VALUE = Text("“{value}” cannot be used here: {problem}")
ADD_PORT_MISMATCH = Text(
    "Warning: port {port} usually goes with security “{expected}”, not “{security}”; "
    "the connection will probably fail. Check the settings your provider gives."
)
ADD_SAVED = Text("Saved the account “{name}” in {file}.")
ADD_CANCELLED = Text("Nothing was saved.")
ADD_NEXT_PASSWORD = Text(
    "Next: give the password (for example in the environment variable {env}), then check the "
    "account with “mailplug accounts test {name}”."
)
ADD_NEXT_OAUTH = Text(
    "Next: put your OAuth client ID in auth_settings.client_id, sign in with “mailplug accounts "
    "authorize {name}”, then check the account with “mailplug accounts test {name}”."
)
ANSWERS_YES = Text("y,yes", context="answers")
ANSWERS_NO = Text("n,no", context="answers")
ANSWERS_EDIT = Text("e,edit", context="answers")

CHECK_TEXTS: tuple[Text, ...] = (
    tuple(STEP_TITLES.values())
    + tuple(SETTING_LABELS.values())
    + tuple(v for k, v in list(globals().items()) if isinstance(v, Text) and k.isupper())
)
