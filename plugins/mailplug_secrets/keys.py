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
    "Restart the program and check that no other application is locking this file and that it "
    "belongs to you. If the file is damaged, delete it and authorize the accounts again.",
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
