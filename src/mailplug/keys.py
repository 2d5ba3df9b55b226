"""The core's error keys: accounts, settings, message data, files, versions, plugins.

Transport-specific keys (SMTP replies, TLS, OAuth) live with their plugins and
reach the core through :func:`~mailplug.hookspecs.mailplug_register_messages`.
Polish texts of the seed article are kept verbatim in ``locales/pl``.
"""

from __future__ import annotations

from . import errors
from .errors import (
    AccountNotConfiguredError,
    Category,
    ErrorSpec,
    MessageError,
    StorageError,
)

C = Category

#: Defined beside ErrorInfo (the fallback for a stored key whose plugin is gone).
SERVER_UNKNOWN = errors.SERVER_UNKNOWN

_CHECK_SETTINGS = (
    "Open the e-mail settings and check the account: its address, server, port, security and login."
)
_RESTART_FILE = (
    "Restart the program and check that no other application is locking this file. "
    "If the problem persists, contact extended technical support."
)

ACCOUNT_NOT_CONFIGURED = ErrorSpec(
    "account.not_configured",
    C.CONFIGURATION,
    False,
    "The mail account is not configured correctly: there is no account for {address}.",
    "Add a mail account with this address in the e-mail settings, or send from another account.",
    pauses="account",
    exception=AccountNotConfiguredError,
)
#: No account at all (a first run): where mailplug looked, and how to add one.
ACCOUNT_NONE = ErrorSpec(
    "account.none",
    C.CONFIGURATION,
    False,
    "No mail account is set up: mailplug looked in {file} and found none.",
    "Add an account with “mailplug accounts add”, or point mailplug to your accounts file with "
    "--config or the MAILPLUG_CONFIG environment variable.",
    pauses="account",
    exception=AccountNotConfiguredError,
)
ACCOUNT_INVALID_SETTINGS = ErrorSpec(
    "account.invalid_settings",
    C.CONFIGURATION,
    False,
    "The mail account settings are invalid or incomplete: {field} — {problem}.",
    _CHECK_SETTINGS,
    pauses="account",
    translated=("problem",),
)
ACCOUNT_SETTINGS_PROBLEM = ErrorSpec(
    "account.settings_problem",
    C.CONFIGURATION,
    False,
    "There is a problem with the mail account settings: {problem}.",
    _CHECK_SETTINGS,
    pauses="account",
)
TRANSPORT_UNKNOWN = ErrorSpec(
    "account.transport_unknown",
    C.CONFIGURATION,
    False,
    "The mail account settings are invalid or incomplete: the transport “{name}” is not installed.",
    "Install the plugin that provides this transport, or choose one of: {available}.",
    pauses="account",
)
AUTH_UNKNOWN = ErrorSpec(
    "account.auth_unknown",
    C.CONFIGURATION,
    False,
    "The mail account settings are invalid or incomplete: the login method “{name}” is not "
    "installed.",
    "Install the plugin that provides this login method, or choose one of: {available}.",
    pauses="account",
)
SECRET_MISSING = ErrorSpec(
    "account.secret_missing",
    C.CONFIGURATION,
    False,
    "The mail account settings are invalid or incomplete: no password is set for account "
    "“{account}”.",
    "Enter the password in the e-mail settings, in the environment variable {env}, or in the "
    "system keyring.",
    pauses="account",
)
SECRET_STORE_MISSING = ErrorSpec(
    "account.secret_store_missing",
    C.CONFIGURATION,
    False,
    "There is nowhere to store the password: no secret store is available.",
    "Install the built-in secret stores (mailplug_secrets) or the keyring extra, or give the "
    "password in an environment variable.",
)
CONFIG_UNREADABLE = ErrorSpec(
    "config.unreadable",
    C.CONFIGURATION,
    False,
    "There is a problem with the mail account settings: the settings file {file} cannot be "
    "read ({problem}).",
    "Check that the file exists and is valid TOML, or set the accounts up again.",
)
CONFIG_SECRET_EXPOSED = ErrorSpec(
    "config.secret_exposed",
    C.CONFIGURATION,
    False,
    "There is a problem with the mail account settings: the file {file} holds a password but "
    "other users can read it.",
    "Make the file readable by you only (chmod 600 {file}), or keep the password in the system "
    "keyring or an environment variable instead.",
)
MESSAGE_HEADER_INJECTION = ErrorSpec(
    "message.header_injection",
    C.REJECTED,
    False,
    "The message cannot be sent: the field {field} contains a line break.",
    "Remove line breaks from the subject, addresses and other header fields.",
    exception=MessageError,
)
MESSAGE_INVALID_ADDRESS = ErrorSpec(
    "message.invalid_address",
    C.RECIPIENT,
    False,
    "The address “{address}” in the field {field} is not a valid e-mail address.",
    "Correct the address; it should look like name@example.com.",
    exception=MessageError,
    translated=("field",),
)
MESSAGE_NO_RECIPIENTS = ErrorSpec(
    "message.no_recipients",
    C.RECIPIENT,
    False,
    "The message has no recipients.",
    "Add at least one recipient in To, Cc or Bcc.",
    exception=MessageError,
)
MESSAGE_INVALID = ErrorSpec(
    "message.invalid",
    C.REJECTED,
    False,
    "The message cannot be sent: {field} — {problem}.",
    "Correct the message and send it again.",
    exception=MessageError,
    translated=("field", "problem"),
)
MESSAGE_INVALID_TEXT = ErrorSpec(
    "message.invalid_text",
    C.REJECTED,
    False,
    "The message cannot be sent: {field} contains characters that are not valid text "
    "(unpaired surrogates, usually from a file name or text read with the wrong encoding).",
    "Correct or retype that text; if it came from a file, read the file as UTF-8.",
    translated=("field",),
    exception=MessageError,
)
MESSAGE_UNDECODABLE = ErrorSpec(
    "message.undecodable",
    C.REJECTED,
    False,
    "The message cannot be sent: {field} is not UTF-8 text and declares no character set "
    "mailplug knows ({charset}).",
    "Save the text as UTF-8, or give its character set (mailplug send --charset "
    'windows-1250; in HTML: <meta charset="…">).',
    translated=("field",),
    exception=MessageError,
)
MESSAGE_TOO_BIG_FOR_OUTBOX = ErrorSpec(
    "message.too_big",
    C.MESSAGE_TOO_BIG,
    False,
    "The message is too big: {size}, more than the {limit} allowed; it was not stored.",
    "Send large files as a link or split them over several messages; the program's "
    "max_message_size setting sets the limit.",
    sizes=("size", "limit"),
    exception=MessageError,
)
FILE_NOT_REGULAR = ErrorSpec(
    "file.not_regular",
    C.FILE,
    False,
    "{file} is not an ordinary file (it is a pipe, a device or a socket), so it is not read: "
    "reading it could wait forever.",
    "Save the content to an ordinary file and give that file instead.",
)
# A file mailplug reads for the user (an attachment, a body, a report): one key per cause,
# each starting with the seed's sentence, so the advice fits the cause (a restart only
# helps when another program holds a lock).
FILE_PROBLEM = ErrorSpec(
    "file.problem",
    C.FILE,
    False,
    "There is a problem with the e-mail file {file}: it could not be read.",
    "Check that the file is there, that you may read it and that the disk works, then try "
    "again. If the problem persists, contact extended technical support.",
)
FILE_MISSING = ErrorSpec(
    "file.missing",
    C.FILE,
    False,
    "There is a problem with the e-mail file {file}: it does not exist.",
    "Check the folder and the file name; the file may have been moved, renamed or deleted.",
)
FILE_UNREADABLE = ErrorSpec(
    "file.unreadable",
    C.FILE,
    False,
    "There is a problem with the e-mail file {file}: it exists, but this user may not read it.",
    "Give your user permission to read the file and its folder, or copy the file to a folder "
    "of your own and give the copy.",
)
FILE_LOCKED = ErrorSpec(
    "file.locked",
    C.FILE,
    True,
    "There is a problem with the e-mail file {file}: another program has locked it.",
    _RESTART_FILE,
)
FILE_IS_FOLDER = ErrorSpec(
    "file.is_folder",
    C.FILE,
    False,
    "There is a problem with the e-mail file {file}: it is a folder, not a file.",
    "Give the path of a file inside that folder.",
)
FILE_EMPTY = ErrorSpec(
    "file.empty",
    C.FILE,
    False,
    "There is a problem with the e-mail file {file}: it is empty.",
    "Check that you chose the right file; if it should not be empty, restore it from a backup "
    "or save it again in the program that made it.",
)
VERSION_TOO_OLD = ErrorSpec(
    "version.too_old",
    C.VERSION,
    False,
    "The application component that handles e-mail is older than required: installed "
    "{installed}, required {required}.",
    "Update mailplug (pip install --upgrade mailplug) or install the version the program requires.",
)
VERSION_UNSUPPORTED = ErrorSpec(
    "version.unsupported",
    C.VERSION,
    False,
    "The application component that handles e-mail is in a version the program does not "
    "support: installed {installed}, required {required}.",
    "Install the version of mailplug the program requires ({required}).",
)
VERSION_TOO_NEW = ErrorSpec(
    "version.too_new",
    C.VERSION,
    False,
    "The file {file} was saved by a newer version of the e-mail component: the file's format "
    "is version {found}, and this version reads formats up to version {supported}.",
    "Update mailplug to the version that wrote the file, or restore a backup of the file.",
)
PLUGIN_INCOMPATIBLE = ErrorSpec(
    "version.plugin_incompatible",
    C.VERSION,
    False,
    "The plugin “{plugin}” needs mail component API {required}, but this one provides {installed}.",
    "Install a version of the plugin made for this version of mailplug, or update mailplug.",
)
PLUGIN_BROKEN = ErrorSpec(
    "plugin.load_failed",
    C.CONFIGURATION,
    False,
    "The plugin “{plugin}” could not be loaded: {problem}.",
    "Reinstall or update the plugin, or disable it with MAILPLUG_DISABLE_PLUGINS={plugin}.",
)
PLUGIN_CONFLICT = ErrorSpec(
    "plugin.conflict",
    C.CONFIGURATION,
    False,
    "Two plugins provide the {kind} “{name}”: {first} and {second}.",
    "Disable one of them with MAILPLUG_DISABLE_PLUGINS.",
)
SYNC_IN_LOOP = ErrorSpec(
    "api.sync_in_event_loop",
    C.CONFIGURATION,
    False,
    "The synchronous mailer was called from inside a running asyncio event loop.",
    "In asynchronous code use AsyncMailer and await its methods; Mailer is for plain threads.",
)
OUTBOX_UNAVAILABLE = ErrorSpec(
    "storage.unavailable",
    C.CONFIGURATION,
    False,
    "No outbox is available: the storage “{name}” is not installed.",
    "Install the plugin that provides it, or use the built-in “sqlite” outbox.",
    exception=StorageError,
)


MESSAGE_REFUSED = ErrorSpec(
    "message.refused",
    C.REJECTED,
    False,
    "The message was not sent: {reason}.",
    "Change the message as the reason says, or ask the administrator about this rule.",
    exception=MessageError,
)
PLUGIN_BEFORE_SEND_FAILED = ErrorSpec(
    "plugin.before_send_failed",
    C.CONFIGURATION,
    False,
    "A plugin that checks messages before sending failed: {problem}.",
    "The message was not stored. Update or disable the plugin (MAILPLUG_DISABLE_PLUGINS) "
    "and send the message again.",
)
HOST_APP_NOT_FOUND = ErrorSpec(
    "app.not_found",
    C.CONFIGURATION,
    False,
    "The host application’s mailer “{app}” cannot be loaded: {problem}.",
    "Give it as module:function (e.g. myproject.mail:make_mailer), run the command where "
    "that module can be imported (the project's directory or virtual environment), and "
    "check the names.",
)
HOST_APP_INVALID = ErrorSpec(
    "app.invalid",
    C.CONFIGURATION,
    False,
    "The host application’s “{app}” did not give a mailer: {problem}.",
    "Point it at a function without arguments that returns a Mailer or an AsyncMailer "
    "(or at such an object).",
)
LANGUAGE_MISSING = ErrorSpec(
    "i18n.language_missing",
    C.CONFIGURATION,
    False,
    "The language “{lang}” is not installed, so messages cannot be shown in it.",
    "Use one of the installed languages ({available}), or install a language package for “{lang}”.",
)
I18N_UNKNOWN_PLUGIN = ErrorSpec(
    "i18n.unknown_plugin",
    C.CONFIGURATION,
    False,
    "No plugin named “{plugin}” is loaded, so its messages cannot be checked.",
    "Use the name of a loaded plugin ({available}); “mailplug plugins” lists them.",
)
EXPLAIN_UNKNOWN_INPUT = ErrorSpec(
    "explain.unknown_input",
    C.CONFIGURATION,
    False,
    "“{value}” is neither a server reply code (a number from 200 to 599) nor a known error key.",
    "Give a reply code such as 550, optionally followed by the enhanced code (5.1.1) and the "
    "server's text, or an error key such as smtp.recipient.unknown.",
)
EXPLAIN_UNKNOWN_STAGE = ErrorSpec(
    "explain.unknown_stage",
    C.CONFIGURATION,
    False,
    "“{stage}” is not a step of sending mail.",
    "Use one of: {stages}.",
)

CORE_ERRORS: tuple[ErrorSpec, ...] = tuple(  # every ErrorSpec defined above
    v for v in list(globals().values()) if isinstance(v, ErrorSpec)
)
