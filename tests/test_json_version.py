"""Every ``--json`` object says which version of the shapes in docs/json.md it follows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailplug.cli import main
from mailplug.cli._base import JSON_VERSION

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "argv",
    [
        ["version"],
        ["explain", "550", "5.1.1", "User", "unknown"],
        ["paths"],
        ["status", "nope"],  # an error object too
    ],
)
def test_json_objects_carry_the_shape_version(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    main([*argv, "--json"])
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict)
    assert data["json_version"] == JSON_VERSION


def test_the_shapes_are_documented_with_their_version() -> None:
    doc = (ROOT / "docs" / "json.md").read_text(encoding="utf-8")
    assert f'"json_version": {JSON_VERSION}' in doc
    for command in ("explain", "outbox flush", "accounts test", "status ID", "outbox list"):
        assert f"`{command}" in doc
