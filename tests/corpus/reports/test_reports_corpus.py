"""The delivery-report corpus is what build.py generates, and expected.jsonl is well formed."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
KINDS = {"dsn", "mdn", "autoreply", "feedback", "none"}
ACTIONS = {"failed", "delayed", "delivered", "relayed", "expanded"}
CATEGORIES = {
    "authentication",
    "encryption",
    "connection",
    "recipient",
    "mailbox-full",
    "message-too-big",
    "rejected",
    "rate-limit",
    "server",
    "configuration",
}


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reports_corpus_build", HERE / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def _expected() -> list[dict]:
    lines = (HERE / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_committed_messages_are_what_build_py_generates() -> None:
    cases = _builder().build()
    expected = _expected()
    assert [c.expected for c in cases] == expected
    on_disk = sorted(p.relative_to(HERE).as_posix() for p in (HERE / "messages").rglob("*.eml"))
    assert on_disk == sorted(e["file"] for e in expected)
    for case in cases:
        assert (HERE / case.expected["file"]).read_bytes() == case.raw, case.expected["file"]


def test_expected_records_are_well_formed() -> None:
    expected = _expected()
    assert len(expected) >= 170
    for e in expected:
        assert e["kind"] in KINDS, e["file"]
        assert e["file"] == f"messages/{e['format']}/{Path(e['file']).name}"
        assert isinstance(e["hostile"], bool)
        assert e["source"]
        mid = e["original_message_id"]
        assert mid is None or (mid.startswith("<") and mid.endswith(">")), e["file"]
        if e["kind"] == "dsn":
            assert e["recipients"], e["file"]
        else:
            assert e["recipients"] == [], e["file"]
        assert (e["mdn"] is not None) == (e["kind"] == "mdn"), e["file"]
        for r in e["recipients"]:
            assert r["action"] in ACTIONS, e["file"]
            if r["action"] in ("failed", "delayed"):
                assert r["category"] in CATEGORIES, e["file"]
            else:
                assert r["category"] is None, e["file"]
            assert r["remote_code"] is None or 200 <= r["remote_code"] < 600, e["file"]
        assert (HERE / e["file"]).stat().st_size < 300 * 1024, e["file"]


def test_every_kind_and_the_hostile_set_are_present() -> None:
    expected = _expected()
    assert {e["kind"] for e in expected} == KINDS
    assert sum(e["hostile"] for e in expected) >= 10
    actions = {r["action"] for e in expected for r in e["recipients"]}
    assert actions == ACTIONS
