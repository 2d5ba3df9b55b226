"""Error keys of the secret stores (the token file and the OS keyring)."""

from __future__ import annotations

from mailplug.plugin import Category, ErrorSpec, StorageError

C = Category

FILE_UNUSABLE = ErrorSpec(
    "storage.secrets_file",
    C.FILE,
    False,
    "There is a problem with the file of saved sign-ins {file}: it cannot be read or written "
    "({problem}).",
    "Check that the file and its folder belong to your user and may be written, and that the "
    "disk is not full or read-only.",
    pauses="account",
    exception=StorageError,
)
FILE_EMPTY = ErrorSpec(
    "storage.secrets_file_empty",
    C.FILE,
    False,
    "There is a problem with the file of saved sign-ins {file}: it is empty.",
    "Move the file aside (or delete it), then sign in to the accounts again "
    "(mailplug accounts authorize) and enter saved passwords again (mailplug accounts password).",
    pauses="account",
    exception=StorageError,
)
FILE_DAMAGED = ErrorSpec(
    "storage.secrets_file_damaged",
    C.FILE,
    False,
    "There is a problem with the file of saved sign-ins {file}: it is damaged, it is not a valid "
    "file of saved sign-ins.",
    "Restore the file from a backup, or move it aside (or delete it), then sign in to the "
    "accounts again (mailplug accounts authorize) and enter saved passwords again "
    "(mailplug accounts password).",
    pauses="account",
    exception=StorageError,
)
KEYRING_MISSING = ErrorSpec(
    "secrets.keyring_missing",
    C.CONFIGURATION,
    False,
    "The system keyring cannot be used: the Python package “keyring” is not installed.",
    "Install it (pip install 'mailplug[keyring]') or use the “file” secret store.",
    pauses="account",
)
KEYRING_UNAVAILABLE = ErrorSpec(
    "secrets.keyring_unavailable",
    C.CONFIGURATION,
    False,
    "The system keyring is not available ({problem}).",
    "Set up a keyring service (GNOME Keyring or KWallet on Linux, the macOS Keychain, the "
    "Windows Credential Manager) and unlock it, or use the “file” secret store.",
    pauses="account",
)

SECRETS_ERRORS: tuple[ErrorSpec, ...] = tuple(
    v for v in list(globals().values()) if isinstance(v, ErrorSpec)
)
