"""Each file problem says its cause and fitting advice; the seed's first line is kept."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from mailplug.cli import main
from mailplug.errors import FileError
from mailplug.files import read_file

ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0


def _error(path: Path) -> FileError:
    with pytest.raises(FileError) as info:
        read_file(path)
    return info.value


def test_missing_file(tmp_path: Path) -> None:
    err = _error(tmp_path / "brak.pdf")
    assert err.key == "file.missing"
    assert (
        err.message("pl")
        == f"Problem z plikiem e-mail {tmp_path / 'brak.pdf'}: taki plik nie istnieje."
    )
    assert "Zrestartuj" not in err.advice("pl")


def _read_as_unprivileged(path: Path) -> tuple[str, str, str]:
    """Read ``path`` in a forked child that dropped root (uid/gid 65534): root reads every file,
    so as root the real permission check needs a user it applies to."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.setgid(65534)
            os.setuid(65534)
            try:
                read_file(path)
                report = "read\n\n"
            except FileError as err:
                report = f"{err.key}\n{err.message('pl')}\n{err.advice('pl')}"
            os.write(write_end, report.encode("utf-8"))
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read().decode("utf-8")
    os.waitpid(pid, 0)
    key, message, advice = data.split("\n", 2)
    return key, message, advice


def test_unreadable_file_says_permission_not_missing(tmp_path: Path) -> None:
    folder = tmp_path / "open"
    folder.mkdir()
    secret = folder / "tajne.pdf"
    secret.write_bytes(b"%PDF")
    secret.chmod(0)
    try:
        if ROOT_USER:
            # tmp_path's parents are the owner's only: open the way to the folder for the child.
            for parent in (folder, *folder.parents):
                if parent == Path(parent.anchor):
                    break
                parent.chmod(parent.stat().st_mode | 0o011)
            key, message, advice = _read_as_unprivileged(secret)
        else:
            err = _error(secret)
            key, message, advice = err.key, err.message("pl"), err.advice("pl")
    finally:
        secret.chmod(0o600)
    assert key == "file.unreadable"
    assert "nie ma prawa go odczytać" in message
    assert "prawo odczytu" in advice


def test_permission_error_is_unreadable_even_for_root(tmp_path: Path) -> None:
    from mailplug.files import file_error

    err = file_error(tmp_path / "x", PermissionError(13, "Permission denied"))
    assert err.key == "file.unreadable" and "Permission" not in err.message("pl")


def test_locked_file_keeps_the_seed_restart_advice(tmp_path: Path) -> None:
    target = tmp_path / "bufor.eml"
    target.write_bytes(b"Subject: x\r\n\r\nx")
    with target.open("rb") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
        err = _error(target)
    assert err.key == "file.locked" and err.transient
    assert err.message("pl").endswith("plik został zablokowany przez inny program.")
    assert err.advice("pl").startswith(
        "Zrestartuj program i sprawdź, czy inne aplikacje nie blokują tego pliku."
    )


def test_folder_instead_of_a_file(tmp_path: Path) -> None:
    err = _error(tmp_path)
    assert err.key == "file.is_folder"
    assert err.message("en").endswith("it is a folder, not a file.")


def test_bounces_parse_of_an_empty_file_says_it_is_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "raport.eml"
    empty.write_bytes(b"")
    assert main(["--lang", "pl", "bounces", "parse", str(empty)]) == 66
    err = capsys.readouterr().err
    assert "Problem z plikiem e-mail" in err and "plik jest pusty" in err
    assert "nie istnieje" not in err
    assert main(["--lang", "pl", "bounces", "parse", str(tmp_path / "brak.eml")]) == 66
    err = capsys.readouterr().err
    assert "taki plik nie istnieje" in err and "zablokowany" not in err


def test_import_problems_keep_the_systems_english_out_of_the_sentence(tmp_path: Path) -> None:
    # Before: "Plik … istnieje, ale nie daje się go odczytać: Permission denied." and every
    # other system error called "unreadable".
    from mailplug import AsyncMailer
    from mailplug.importers import REASON_OS, REASON_UNREADABLE, ImportProblem

    t = AsyncMailer(outbox=None).translator
    denied = ImportProblem.file(tmp_path / "Sent", REASON_UNREADABLE, error="Permission denied")
    assert denied.error.key == "legacy.file.unreadable"
    message = denied.error.message("pl", translator=t)
    assert message.endswith("istnieje, ale ten użytkownik nie ma prawa go odczytać.")
    assert "Permission" not in message
    other = ImportProblem.file(tmp_path / "Sent", REASON_OS, error="Input/output error")
    assert other.error.key == "file.problem"
    assert other.error.message("pl", translator=t).startswith("Problem z plikiem e-mail")
    assert other.reason_is_news  # the system's words follow, in parentheses, for support
