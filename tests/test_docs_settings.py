"""docs/settings.md: generated from the settings models, complete and current."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "settings_reference", ROOT / "scripts" / "settings_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_reference_is_regenerated() -> None:
    current = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert generator().render() == current, "run: python scripts/settings_reference.py"


def test_every_setting_has_a_description() -> None:
    assert generator().missing_descriptions() == []


def test_the_settings_people_search_for_are_listed() -> None:
    # The ones the issue found only by trial or in the source.
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for name in ("ca_file", "connect_timeout", "timeout", "mechanism", "token_endpoint"):
        assert f"| `{name}` |" in text
    assert "redirect_port" in text and 'auth = "none"' in text
