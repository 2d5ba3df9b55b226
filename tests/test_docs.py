"""The docs keep up with the code: every hook is documented, the README's commands exist."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from mailplug import hookspecs

ROOT = Path(__file__).resolve().parent.parent


def hook_names() -> list[str]:
    return [
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("mailplug_")
    ]


def test_every_hook_is_in_the_hook_reference() -> None:
    reference = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `(mailplug_\w+)", reference, re.M))
    assert set(hook_names()) == documented


def test_every_hook_is_prefixed_typed_and_has_a_rest_docstring() -> None:
    for name in hook_names():
        fn = getattr(hookspecs, name)
        doc = inspect.getdoc(fn) or ""
        sig = inspect.signature(fn)
        assert doc, name
        for param in sig.parameters:
            assert f":param {param}:" in doc, (name, param)
            assert sig.parameters[param].annotation is not inspect.Parameter.empty
        assert sig.return_annotation is not inspect.Signature.empty
        firstresult = getattr(fn, "mailplug_spec", {}).get("firstresult", False)
        assert firstresult == ("Stops at first non-None result" in doc), name


def test_readme_quick_start_is_two_make_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


def test_hook_reference_is_regenerated() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "hook_reference", ROOT / "scripts" / "hook_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    assert module.render() == current, "run: python scripts/hook_reference.py"
