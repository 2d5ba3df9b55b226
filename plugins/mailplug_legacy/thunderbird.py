"""A Thunderbird (or SeaMonkey, Netscape) profile folder.

- ``prefs.js``: every identity (``mail.identity.*``) with its outgoing server
  (``mail.smtpserver.*``) becomes an account; the incoming IMAP server is kept
  as the account's IMAP settings.  Passwords are never copied: Thunderbird
  keeps them encrypted in ``logins.json``, which is not decrypted.  The user
  is told which accounts need their password again.
- Mail folders under ``Mail/`` (Local Folders, POP) and ``ImapMail/``: the
  "Sent" folders (and each identity's own copy folder) become history,
  "Unsent Messages" becomes queued mail.  Where Thunderbird recorded a
  folder's role (the Sent and Outbox flags in ``folderCache.json``), the role
  decides, whatever the folder is called.  Other folders (Inbox, Trash …) are
  named in the report and left alone.  Both folder stores work: mbox files
  and Maildir-style folders.
- Every other file under the given path is reported as left out, with why:
  settings read (``prefs.js``, ``logins.json``, ``profiles.ini``), a folder
  index (``.msf``), a mailbox neither sent nor unsent, a message still being
  delivered, another profile, or a file the program keeps for itself.

Pointing at the folder holding ``profiles.ini`` (``~/.thunderbird``,
``%APPDATA%\\Thunderbird``) imports the default profile; pointing at a mail
folder such as ``Local Folders`` (no ``prefs.js``) imports its mail only.
"""

from __future__ import annotations

import configparser
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from mailplug.plugin import (
    Account,
    ImportedAccount,
    Importer,
    ImportItem,
    ImportProblem,
    Kind,
    MailplugError,
    ReadContext,
    Reason,
    SkippedFolder,
)
from mailplug.plugin import import_keys as imp

from .files import SourceError, read_source
from .maildir import is_maildir, read_maildir
from .mbox import read_mbox
from .message import decode_text, folder_kind
from .tree import left_items, left_over, maildir_files, sniff_file

__all__ = ["ThunderbirdImporter", "default_profile", "folder_roles", "parse_prefs"]

log = logging.getLogger("mailplug.legacy")

_PREF_RE = re.compile(
    r"""^\s*(?:user_pref|pref|sticky_pref)\s*\(\s*"((?:[^"\\]|\\.)*)"\s*,\s*"""
    r"""("(?:[^"\\]|\\.)*"|true|false|-?\d+)\s*\)\s*;""",
    re.M,
)
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.S)
_NOT_FOLDERS = frozenset(
    {
        ".msf",
        ".dat",
        ".json",
        ".html",
        ".sqlite",
        ".txt",
        ".js",
        ".db",
        ".lock",
        ".log",
        ".mozmsgs",
        ".jsonlz4",
        ".bak",
    }
)
# try_ssl / socketType: 0 plain, 1 STARTTLS if offered, 2 STARTTLS, 3 SSL/TLS.
_SECURITY = {0: "none", 1: "starttls", 2: "starttls", 3: "tls"}
# authMethod: 1 none, 3 password, 4 encrypted password, 5 Kerberos, 6 NTLM, 10 OAuth2.
_AUTH_NONE, _AUTH_OAUTH2 = 1, 10
_TRY_STARTTLS = 1  # "STARTTLS, if available": mailplug requires it (never a downgrade)
# Incoming/outgoing server types of Exchange accounts: Thunderbird's own EWS support
# and the Owl and ExQuilla add-ons.  They send through Exchange, not SMTP.
_EXCHANGE_TYPES = frozenset({"ews", "owl", "owl-ews", "exquilla"})
_GOOGLE = ("gmail.com", "googlemail.com", "google.com")
_MICROSOFT = ("outlook.com", "office365.com", "hotmail.com", "live.com")


def _fcc_name(fcc: str) -> str:
    """The folder name at the end of a copy-to URL (``imap://user@host/Sent`` → ``sent``)."""
    try:
        path = urlsplit(fcc).path
    except ValueError:  # a mangled URL ("[" without "]"): its last segment still names it
        path = fcc
    return unquote(path).rstrip("/").rsplit("/", 1)[-1].lower()


def _unescape(value: str) -> str:
    def repl(match: re.Match[str]) -> str:
        esc = match.group(1)
        if esc[0] in "ux" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        return {"n": "\n", "t": "\t", "r": "\r"}.get(esc, esc)

    return _ESCAPE_RE.sub(repl, value)


def parse_prefs(text: str) -> dict[str, str | int | bool]:
    """``prefs.js`` as a dict; lines that are not preferences are ignored."""
    prefs: dict[str, str | int | bool] = {}
    for match in _PREF_RE.finditer(text):
        name, raw = _unescape(match.group(1)), match.group(2)
        value: str | int | bool
        if raw.startswith('"'):
            value = _unescape(raw[1:-1])
        elif raw in ("true", "false"):
            value = raw == "true"
        else:
            value = int(raw)
        prefs[name] = value
    return prefs


def _group(prefs: dict[str, Any], prefix: str) -> dict[str, dict[str, Any]]:
    """``mail.identity.id1.useremail`` → ``{"id1": {"useremail": …}}``."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in prefs.items():
        if name.startswith(prefix):
            key, _, attr = name[len(prefix) :].partition(".")
            if key and attr:
                out.setdefault(key, {})[attr] = value
    return out


def _list(value: Any) -> list[str]:
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _holds_password(attrs: dict[str, Any]) -> bool:
    return any("pass" in k.lower() and v not in (None, "", False) for k, v in attrs.items())


@dataclass
class _Profile:
    root: Path
    prefs: dict[str, Any] = field(default_factory=dict)
    sent_names: set[str] = field(default_factory=set)
    saved_logins: set[str] = field(default_factory=set)


def _logins(root: Path) -> set[str]:
    """Hosts Thunderbird saved a password for (``smtp://smtp.firma.pl``); never decrypted."""
    path = root / "logins.json"
    if not path.is_file():
        return set()
    try:
        data = json.loads(read_source(path))
    except (SourceError, ValueError) as exc:
        log.info("logins.json in %s not read: %s", root, exc)
        return set()
    logins = data.get("logins") if isinstance(data, dict) else None
    hosts: set[str] = set()
    for entry in logins if isinstance(logins, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("hostname"), str):
            hosts.add(entry["hostname"].lower())
    return hosts


def _auth(
    method: int, username: str, host: str, available: frozenset[str]
) -> tuple[str | None, str | None]:
    """(auth plugin name, what the user must give again)."""
    if method == _AUTH_NONE or (not username and method != _AUTH_OAUTH2):
        return None, None
    if method == _AUTH_OAUTH2:
        wanted = []
        if host.endswith(_GOOGLE):
            wanted.append("gmail-oauth2")
        if host.endswith(_MICROSOFT):
            wanted.append("microsoft-oauth2")
        for name in wanted:
            if name in available:
                return name, "sign-in"
    return "password", "password"


class _Accounts:
    """Identities and SMTP servers of ``prefs.js`` turned into accounts."""

    def __init__(self, profile: _Profile, context: ReadContext) -> None:
        self.profile = profile
        self.prefs = profile.prefs
        self.context = context
        # Newer Thunderbird keeps outgoing servers under "outgoingserver" as well.
        self.smtp = _group(self.prefs, "mail.outgoingserver.") | _group(
            self.prefs, "mail.smtpserver."
        )
        self.identities = _group(self.prefs, "mail.identity.")
        self.accounts = _group(self.prefs, "mail.account.")
        self.servers = _group(self.prefs, "mail.server.")

    def _identity_order(self) -> list[tuple[str, str | None, bool]]:
        """(identity key, incoming server key, is the default identity) in the profile's order."""
        order = _list(self.prefs.get("mail.accountmanager.accounts")) or sorted(self.accounts)
        default = self.prefs.get("mail.accountmanager.defaultaccount") or (
            order[0] if order else None
        )
        out: list[tuple[str, str | None, bool]] = []
        seen: set[str] = set()
        for acc in order:
            attrs = self.accounts.get(acc, {})
            for n, ident in enumerate(_list(attrs.get("identities"))):
                if ident not in seen:
                    seen.add(ident)
                    out.append((ident, attrs.get("server"), acc == default and n == 0))
        out += [(ident, None, False) for ident in sorted(self.identities) if ident not in seen]
        return out

    def _smtp_key(self, identity: dict[str, Any]) -> str | None:
        for key in (
            identity.get("smtpServer"),
            self.prefs.get("mail.smtp.defaultserver"),
            *_list(self.prefs.get("mail.smtpservers")),
            *_list(self.prefs.get("mail.outgoingservers")),
            *sorted(self.smtp),
        ):
            if key and self.smtp.get(str(key), {}).get("hostname"):
                return str(key)
        return None

    def _imap(self, server_key: str | None) -> dict[str, Any] | None:
        attrs = self.servers.get(server_key or "", {})
        if attrs.get("type") != "imap" or not attrs.get("hostname"):
            return None
        security = _SECURITY.get(_int(attrs.get("socketType"), 3), "tls")
        port = _int(attrs.get("port"), 993 if security == "tls" else 143)
        imap: dict[str, Any] = {"host": attrs["hostname"], "port": port, "security": security}
        if attrs.get("userName"):
            imap["username"] = attrs["userName"]
        return imap

    def _exchange(self, identity: dict[str, Any], server_key: str | None) -> bool:
        incoming = str(self.servers.get(server_key or "", {}).get("type") or "").lower()
        outgoing = self.smtp.get(str(identity.get("smtpServer") or ""), {})
        return incoming in _EXCHANGE_TYPES or str(outgoing.get("type") or "").lower() in (
            _EXCHANGE_TYPES
        )

    def __iter__(self) -> Iterator[ImportItem]:
        source = self.profile.root / "prefs.js"
        seen: set[str] = set()
        for ident_key, server_key, is_default in self._identity_order():
            identity = self.identities.get(ident_key, {})
            email = str(identity.get("useremail") or "").strip()
            if not email or identity.get("valid") is False:
                continue
            fcc = identity.get("fcc_folder")
            if isinstance(fcc, str) and fcc:
                self.profile.sent_names.add(_fcc_name(fcc))
            if self._exchange(identity, server_key):
                # Its mail leaves through Exchange: borrowing another account's SMTP
                # server (the profile's default) would send it from the wrong place.
                yield ImportProblem(source, imp.EXCHANGE_ACCOUNT.error(address=email))
                continue
            smtp_key = self._smtp_key(identity)
            if smtp_key is None:
                yield ImportProblem(source, imp.NO_SMTP_SERVER.error(address=email))
                continue
            item = self._account(source, email, identity, smtp_key, server_key, is_default)
            if isinstance(item, ImportedAccount):
                if email.lower() in seen:
                    item = replace(item, repeated=True)
                seen.add(email.lower())
            yield item

    def _account(
        self,
        source: Path,
        email: str,
        identity: dict[str, Any],
        smtp_key: str,
        server_key: str | None,
        is_default: bool,
    ) -> ImportItem:
        server = self.smtp[smtp_key]
        host = str(server["hostname"]).strip().lower()
        try_ssl = _int(server.get("try_ssl"), -1)
        port = _int(server.get("port"), 0)
        security = _SECURITY.get(try_ssl) or ("tls" if port == 465 else "starttls")
        port = port or (465 if security == "tls" else 25)
        username = str(server.get("username") or "")
        method = _int(server.get("authMethod"), 3)
        auth, secret = _auth(method, username, host, self.context.auth_methods)
        auth_settings: dict[str, Any] = {"username": username or email} if auth else {}
        saved = self.profile.saved_logins
        secret_found = _holds_password(server) or any(
            h in saved for h in (f"smtp://{host}", f"smtp://{host}:{port}")
        )
        data: dict[str, Any] = {
            "name": email.lower(),
            "email": email,
            "display_name": identity.get("fullName") or None,
            "transport": "smtp",
            "settings": {"host": host, "port": port, "security": security},
            "auth": auth,
            "auth_settings": auth_settings,
            "default": is_default,
        }
        if identity.get("reply_to"):
            data["reply_to"] = str(identity["reply_to"])
        imap = self._imap(server_key)
        if imap is not None:
            data["imap"] = imap
        try:
            account = Account.model_validate(data)
        except MailplugError as exc:
            if "reply_to" not in data:
                return ImportProblem(source, exc)
            del data["reply_to"]  # a broken Reply-To must not lose the account
            try:
                account = Account.model_validate(data)
            except MailplugError as exc2:
                return ImportProblem(source, exc2)
        notes = (Reason(imp.NOTE_TRY_SSL),) if try_ssl == _TRY_STARTTLS else ()
        return ImportedAccount(
            source, account, secret=secret, secret_found=secret_found, notes=notes
        )


def _mail_roots(root: Path, prefs: dict[str, Any]) -> list[Path]:
    """Server folders: ``Mail/Local Folders``, ``ImapMail/imap.gmail.com`` …"""
    roots: list[Path] = []
    for sub in ("Mail", "ImapMail"):
        base = root / sub
        try:
            roots += sorted(p for p in base.iterdir() if p.is_dir())
        except OSError:
            continue
    for name, value in prefs.items():
        if name.endswith(".directory-rel") and isinstance(value, str):
            rel = value.removeprefix("[ProfD]")
            candidate = root / rel
            if candidate.is_dir() and candidate not in roots:
                roots.append(candidate)
    return roots


@dataclass
class _Folder:
    path: Path
    label: str
    kind: Kind | None
    maildir: bool


# nsMsgFolderFlags: the special-use roles Thunderbird records per folder.
_FLAG_SENT, _FLAG_QUEUE = 0x0200, 0x0800
_FOLDER_CACHE = "folderCache.json"
_MAIL_DIRS = ("/Mail/", "/ImapMail/")


def folder_roles(root: Path) -> dict[Path, Kind]:
    """Folders whose special-use flag says sent or unsent, from ``folderCache.json``.

    Thunderbird (since 91) keeps each folder's flags there, keyed by the full path
    of the folder's ``.msf`` index as written on the machine it ran on (so a copied
    or Windows profile is matched by the part from ``Mail/``/``ImapMail/`` on).
    The older ``panacea.dat`` (a Mork database) is not read: names decide there.
    """
    path = root / _FOLDER_CACHE
    if not path.is_file():
        return {}
    try:
        data = json.loads(read_source(path))
    except (SourceError, ValueError) as exc:
        log.info("%s not read: %s", path, exc)
        return {}
    roles: dict[Path, Kind] = {}
    for key, props in data.items() if isinstance(data, dict) else ():
        flags = props.get("flags") if isinstance(props, dict) else None
        if not isinstance(key, str) or not isinstance(flags, int):
            continue
        kind = Kind.SENT if flags & _FLAG_SENT else Kind.QUEUED if flags & _FLAG_QUEUE else None
        index = key.replace("\\", "/")
        if kind is None or not index.lower().endswith(".msf"):
            continue
        where = Path(index[:-4])
        if not where.is_relative_to(root) and not Path(index).exists():  # written elsewhere
            cut = min((i for i in (index.find(d) for d in _MAIL_DIRS) if i >= 0), default=-1)
            if cut < 0:
                continue
            where = root / index[cut + 1 : -4]
        roles[where] = kind
    return roles


def _folders(
    server: Path,
    label: str,
    sent_names: frozenset[str],
    roles: dict[Path, Kind] | None = None,
) -> Iterator[_Folder]:
    """Mail folders of one server folder, with ``.sbd`` subfolders.

    A folder's role recorded by Thunderbird (``roles``) wins over its name.
    """
    roles = roles or {}
    try:
        entries = sorted(server.iterdir(), key=lambda p: p.name)
    except OSError:
        return
    names = {p.name for p in entries}
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        role = roles.get(entry)
        if entry.is_dir():
            if name.endswith(".sbd"):
                yield from _folders(entry, f"{label}/{name[:-4]}", sent_names, roles)
            elif is_maildir(entry):
                kind = role or folder_kind(name, sent_names=sent_names)
                yield _Folder(entry, f"{label}/{name}", kind, True)
            elif folder_kind(name, sent_names=sent_names) is not None:
                # A directory where the mailbox file should be: report it.
                kind = folder_kind(name, sent_names=sent_names)
                yield _Folder(entry, f"{label}/{name}", kind, False)
            continue
        if entry.suffix.lower() in _NOT_FOLDERS:
            continue
        kind = role or folder_kind(name, sent_names=sent_names)
        if not (f"{name}.msf" in names or kind is not None or name in {"Inbox", "Trash", "Drafts"}):
            continue
        yield _Folder(entry, f"{label}/{name}", kind, False)


class ThunderbirdImporter(Importer):
    """A Thunderbird profile folder (``prefs.js``), or one of its mail folders."""

    name = "thunderbird"
    priority = 40

    def sniff(self, path: Path) -> bool:
        if not path.is_dir():
            return False
        if (path / "prefs.js").is_file() or (path / "profiles.ini").is_file():
            return True
        try:
            names = [p.name for p in path.iterdir()]
        except OSError:
            return False
        return any(n.endswith(".msf") for n in names) or "Unsent Messages" in names

    def read(self, path: Path, context: ReadContext) -> Iterator[ImportItem]:
        given = path
        if not (path / "prefs.js").exists() and (path / "profiles.ini").is_file():
            try:
                path = default_profile(path)
            except SourceError as err:
                yield err.problem()
                return
        profile = _Profile(path)
        prefs_path = path / "prefs.js"
        if prefs_path.exists():
            yield from self._settings(profile, context)
        # Without prefs.js the folder is a mail folder such as "Local Folders".
        roots = _mail_roots(path, profile.prefs) if prefs_path.exists() else [path]
        sent_names = frozenset(profile.sent_names)
        folders: list[_Folder] = []
        roles = folder_roles(path)
        for server in roots:
            folders += _folders(server, server.name, sent_names, roles)
        wanted = [f for f in folders if f.kind is not None or context.kind is not None]
        for folder in folders:
            if folder.kind is None and context.kind is None:
                yield SkippedFolder(folder.path, folder.label)
        # Sent mail first: a message both sent and still in "Unsent Messages" (not yet
        # compacted) is then recognised as a duplicate instead of being sent twice.
        wanted.sort(key=lambda f: 0 if f.kind is Kind.SENT else 1)
        total = sum(_size(f.path) for f in wanted if not f.maildir)
        done = 0
        for folder in wanted:
            if folder.maildir:
                yield from read_maildir(folder.path, context, kind=folder.kind)
                continue
            yield from read_mbox(
                folder.path, context, folder=folder.kind, progress_base=done, progress_total=total
            )
            done += _size(folder.path)
        covered: set[Path] = set()
        for folder in wanted:
            covered.update(maildir_files(folder.path) if folder.maildir else [folder.path])
        reasons = _LeftReasons(given, path, [f for f in folders if f not in wanted])
        named: set[str] = set()  # the folders left out were named above
        for plan in left_over(given, covered, reasons):
            yield from left_items(plan, named)

    def _settings(self, profile: _Profile, context: ReadContext) -> Iterator[ImportItem]:
        prefs_path = profile.root / "prefs.js"
        try:
            text = decode_text(read_source(prefs_path))
        except SourceError as err:
            yield err.problem()
            return
        profile.prefs = parse_prefs(text)
        if not profile.prefs:
            yield ImportProblem.file(prefs_path, imp.REASON_NO_SETTINGS)
            return
        profile.saved_logins = _logins(profile.root)
        yield from _Accounts(profile, context)


_SETTINGS_FILES = frozenset({"prefs.js", "logins.json", "profiles.ini", _FOLDER_CACHE})


class _LeftReasons:
    """Why a file under a Thunderbird path was not imported (see :func:`.tree.left_over`)."""

    def __init__(self, given: Path, profile: Path, skipped: list[_Folder]) -> None:
        self.given = given
        self.profile = profile
        self.skipped = {f.path: f.label for f in skipped}

    def __call__(self, path: Path) -> Reason:
        if path.name in _SETTINGS_FILES:
            return Reason(imp.REASON_SETTINGS_READ)
        if not path.is_relative_to(self.profile):
            other = next((p for p in path.parents if (p / "prefs.js").is_file()), None)
            if other is not None and other.is_relative_to(self.given):
                return Reason(
                    imp.REASON_OTHER_PROFILE, {"folder": str(other.relative_to(self.given))}
                )
        if path.suffix.lower() == ".msf":
            return Reason(imp.REASON_INDEX_FILE)
        parent = path.parent
        if parent.name == "tmp" and is_maildir(parent.parent):
            return Reason(imp.REASON_IN_DELIVERY)
        for folder in (path, parent.parent):
            if folder in self.skipped:
                return Reason(imp.REASON_IN_FOLDER, {"folder": self.skipped[folder]})
        if sniff_file(path) is not None:  # mail in a folder Thunderbird does not list
            base = self.profile if path.is_relative_to(self.profile) else self.given
            label = str(path.relative_to(base)) if path.is_relative_to(base) else path.name
            return Reason(imp.REASON_IN_FOLDER, {"folder": label})
        return Reason(imp.REASON_NOT_MAIL_FILE)


def default_profile(root: Path) -> Path:
    """The profile ``profiles.ini`` in ``root`` names as the default one.

    The installation's default (``[Install…] Default=``) first, then the
    profile marked ``Default=1``, then the only or first profile.

    :raises SourceError: ``profiles.ini`` unreadable or naming no existing profile.
    """
    ini_path = root / "profiles.ini"
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(decode_text(read_source(ini_path)))
    except configparser.Error as exc:
        raise SourceError(ini_path, imp.REASON_NO_SETTINGS) from exc

    def value(section: str, key: str, default: str = "") -> str:
        return parser.get(section, key) if parser.has_option(section, key) else default

    candidates: list[Path] = []
    for section in parser.sections():
        if section.startswith("Install") and value(section, "Default"):
            candidates.append(root / value(section, "Default"))
    profiles = [s for s in parser.sections() if s.startswith("Profile")]
    profiles.sort(key=lambda s: value(s, "Default", "0") != "1")
    for section in profiles:
        where = value(section, "Path")
        if where:
            relative = value(section, "IsRelative", "1") == "1"
            candidates.append(root / where if relative else Path(where))
    for candidate in candidates:
        if (candidate / "prefs.js").is_file():
            return candidate
    raise SourceError(ini_path, imp.REASON_NO_SETTINGS)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0
