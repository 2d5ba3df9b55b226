"""mailplug built-in plugin: secret stores for tokens and passwords.

``file`` (default): an owner-only JSON file in the data folder;
``keyring``: the operating system's keyring (``pip install 'mailplug[keyring]'``).
Both implement :class:`mailplug.plugin.SecretStore`.
"""

from __future__ import annotations

from .filestore import FileSecretStore
from .keyringstore import KeyringSecretStore

__all__ = ["FileSecretStore", "KeyringSecretStore"]
