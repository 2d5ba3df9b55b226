#!/usr/bin/env python3
"""Robustness of the reply classifier: does the category hold when a reply is changed
in ways that do not change its meaning?

Usage (from the repository root)::

    .venv/bin/python tests/corpus/replies/perturb.py            # summary per perturbation
    .venv/bin/python tests/corpus/replies/perturb.py --changes  # ... plus every change

For every corpus line whose category mailplug gets right, each perturbation is
explained again and counted when the category changes:

- ``no-enhanced``: the enhanced code dropped (servers that send none);
- ``lowercase``: the text in lower case;
- ``generic-enhanced``: the enhanced code replaced by 5.0.0 / 4.0.0;
- ``prefix``: a provider prefix before the text (``mx7.example.net ESMTP:``).

(The reply code is never changed: 421, 452 or 552 mean something of their own.)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
Row = dict


def _generic(row: Row) -> Row:
    enh = row.get("enhanced")
    if not enh:
        return row
    return {**row, "enhanced": enh[0] + ".0.0"}


PERTURBATIONS: dict[str, Callable[[Row], Row]] = {
    "no-enhanced": lambda r: {**r, "enhanced": None},
    "lowercase": lambda r: {**r, "text": str(r["text"]).lower()},
    "generic-enhanced": _generic,
    "prefix": lambda r: {**r, "text": "mx7.example.net ESMTP: " + str(r["text"])},
}


def load(paths: list[Path]) -> list[Row]:
    rows: list[Row] = []
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="*", type=Path, default=sorted(HERE.glob("*.jsonl")))
    ap.add_argument("--changes", action="store_true", help="list every changed category")
    args = ap.parse_args()

    from mailplug import AsyncMailer

    mailer = AsyncMailer(outbox=None, entry_points=False)

    def category(row: Row) -> str:
        err = mailer.explain(
            row["code"], row.get("enhanced"), str(row["text"]), stage=row.get("stage") or "rcpt"
        )
        return str(err.category)

    rows = load(args.corpus)
    right = [r for r in rows if category(r) == r["category"]]
    print(f"lines: {len(rows)}, category right: {len(right)}")
    for name, change in PERTURBATIONS.items():
        changed = []
        for row in right:
            other = change(row)
            got = category(other)
            if got != row["category"]:
                changed.append((row, other, got))
        held = len(right) - len(changed)
        print(f"{name:18} holds {held}/{len(right)} = {100 * held / len(right):.1f}%")
        if args.changes:
            for row, other, got in changed:
                print(
                    f"    {row['id']} {row['category']} -> {got}: "
                    f"{other['code']} {other.get('enhanced') or '-'} {other['text'][:100]}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
