"""Make real (metadata-level) distributions with ``mailplug`` entry points in a temp dir."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def make_dist(site: Path, dist: str, module: str, source: str, *, entry: str | None = None) -> None:
    """Write ``module`` and a ``<dist>-1.0.dist-info`` with an entry point in group mailplug."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[mailplug]\n{entry or module} = {module}\n", encoding="utf-8"
    )
    (info / "RECORD").write_text("", encoding="utf-8")


def pip_install_example(target: Path, example: str = "mailplug-filedrop") -> None:
    """Install ``examples/<example>`` with pip into ``target`` (a real wheel install)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(ROOT / "examples" / example),
        ],
        check=True,
        timeout=120,
    )


def activate(monkeypatch: pytest.MonkeyPatch, site: Path) -> None:
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
