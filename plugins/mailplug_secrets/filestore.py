"""The ``file`` secret store: one JSON file readable by its owner only.

Location: ``<data_dir>/secrets/secrets.json``; the ``secrets`` folder is
``0700`` and the file ``0600`` (tightened again, with a warning, if someone
loosened them).  Every write goes to a temporary file in the same folder that
then replaces the old one, so a crash never leaves half a file; a lock file
(``fcntl`` on POSIX) keeps two processes — the host and ``mailplug accounts
authorize`` — from losing each other's updates.  The file is read again on
every lookup, so a token stored by another process is seen at once.

The secrets are stored as plain text inside that file: the protection is the
file permission, as for ``~/.ssh`` keys.  Use the ``keyring`` store to keep
them encrypted by the operating system.

Layout::

    {"version": 1,
     "accounts": {"gmail": {"oauth.refresh_token": {"value": "…", "meta": {"stored_at": "…"}}}}}
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailplug.plugin import keys as core_keys

from . import keys
from .entries import EntrySecretStore, new_entry

if TYPE_CHECKING:
    from pydantic import SecretStr

    from mailplug.plugin import Services

__all__ = ["FileSecretStore"]

log = logging.getLogger("mailplug.secrets")

FORMAT_VERSION = 1
_POSIX = sys.platform != "win32"

Data = dict[str, Any]


class FileSecretStore(EntrySecretStore):
    """Secrets in an owner-only JSON file.

    :param path: the JSON file (its folder is created owner-only).
    """

    name = "file"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = asyncio.Lock()

    @classmethod
    def factory(cls, *, services: Services) -> FileSecretStore:
        return cls(Path(services.data_dir) / "secrets" / "secrets.json")

    def __repr__(self) -> str:
        return f"<FileSecretStore {self.path}>"

    # -- SecretStore --------------------------------------------------------

    async def set(
        self, account: str, key: str, value: SecretStr, *, meta: dict[str, Any] | None = None
    ) -> None:
        entry = new_entry(value, meta)

        def change(data: Data) -> None:
            data["accounts"].setdefault(account, {})[key] = entry

        await self._update(change)

    async def delete(self, account: str, key: str) -> None:
        def change(data: Data) -> None:
            entries = data["accounts"].get(account)
            if entries is not None:
                entries.pop(key, None)
                if not entries:
                    del data["accounts"][account]

        await self._update(change)

    # -- the file -----------------------------------------------------------

    async def _entry(self, account: str, key: str) -> dict[str, Any] | None:
        data = await asyncio.to_thread(self._locked_read)
        entry = data["accounts"].get(account, {}).get(key)
        return entry if isinstance(entry, dict) else None

    async def _update(self, change: Callable[[Data], None]) -> None:
        async with self._lock:
            await asyncio.to_thread(self._locked_update, change)

    def _error(self, problem: str, cause: BaseException | None = None) -> Exception:
        return keys.FILE_UNUSABLE.error(file=str(self.path), problem=problem, cause=cause)

    def _ensure_dir(self) -> None:
        folder = self.path.parent
        try:
            # Every folder created on the way is owner-only (mkdir(parents=True) would
            # give the data folder above "secrets" the umask's 0755).
            for missing in reversed([folder, *folder.parents]):
                if not missing.exists():
                    missing.mkdir(mode=0o700, exist_ok=True)
            if _POSIX and stat.S_IMODE(folder.stat().st_mode) & 0o077:
                os.chmod(folder, 0o700)
        except OSError as exc:
            raise self._error(exc.strerror or str(exc), exc) from exc

    @contextlib.contextmanager
    def _file_lock(self, exclusive: bool) -> Iterator[None]:
        self._ensure_dir()
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise self._error(exc.strerror or str(exc), exc) from exc
        try:
            if _POSIX:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _read(self) -> Data:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {"version": FORMAT_VERSION, "accounts": {}}
        except OSError as exc:
            raise self._error(exc.strerror or str(exc), exc) from exc
        if _POSIX:
            mode = stat.S_IMODE(self.path.stat().st_mode)
            if mode & 0o077:
                log.warning("%s was readable by other users; made it owner-only", self.path)
                os.chmod(self.path, 0o600)
        if not raw.strip():
            raise keys.FILE_EMPTY.error(file=str(self.path))
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            # No detail: the decoder's message could quote the content (a secret).
            raise keys.FILE_DAMAGED.error(file=str(self.path)) from None
        if not isinstance(data, dict) or not isinstance(data.get("accounts"), dict):
            raise keys.FILE_DAMAGED.error(file=str(self.path))
        version = data.get("version", FORMAT_VERSION)
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise core_keys.VERSION_TOO_NEW.error(
                file=str(self.path), found=version, supported=FORMAT_VERSION
            )
        return data

    def _locked_read(self) -> Data:
        if not self.path.exists():  # nothing stored yet: create no folder just to look
            return {"version": FORMAT_VERSION, "accounts": {}}
        with self._file_lock(exclusive=False):
            return self._read()

    def _locked_update(self, change: Callable[[Data], None]) -> None:
        with self._file_lock(exclusive=True):
            data = self._read()
            change(data)
            data["version"] = FORMAT_VERSION
            self._write(data)

    def _write(self, data: Data) -> None:
        payload = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
        folder = self.path.parent
        tmp: str | None = None
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".secrets-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                if _POSIX:
                    os.fchmod(fh.fileno(), 0o600)
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            tmp = None
            if _POSIX:
                dir_fd = os.open(folder, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        except OSError as exc:
            raise self._error(exc.strerror or str(exc), exc) from exc
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
