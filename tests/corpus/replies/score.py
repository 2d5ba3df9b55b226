#!/usr/bin/env python3
"""Score today's SMTP reply classifier against the labelled reply corpus.

Usage (from the repository root)::

    .venv/bin/python tests/corpus/replies/score.py            # summary + confusion table
    .venv/bin/python tests/corpus/replies/score.py --misses   # ... plus every miss
    .venv/bin/python tests/corpus/replies/score.py --json     # machine-readable summary

Each corpus line is one server reply (code, enhanced code, text, SMTP stage) with
the category and the transient flag it *means*.  The script asks mailplug to
explain the reply (``AsyncMailer.explain``) and compares the error's
``category`` and ``transient`` with the labels.  Standard library only, plus an
installed ``mailplug``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

CORPUS = Path(__file__).with_name("replies.jsonl")


def load(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, raw in enumerate(fh, 1):
            line = raw.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:  # pragma: no cover - corpus error
                sys.exit(f"{path}:{n}: {exc}")
    return rows


def make_explainer():
    """Return ``explain(code, enhanced, text, stage) -> (category, transient, key)``."""
    from mailplug import AsyncMailer

    # The code base is refactored while this corpus is in use: when a built-in
    # plugin that has nothing to do with classifying replies cannot be imported
    # (a module listed but not written yet), block just that plugin and retry.
    disabled: list[str] = []
    for _ in range(8):
        try:
            kwargs = {"outbox": None, "entry_points": False}
            if disabled:
                kwargs["disable_plugins"] = disabled
            mailer = AsyncMailer(**kwargs)
            break
        except ModuleNotFoundError as exc:
            missing = (exc.name or "").split(".")[0]
            if not missing or missing in disabled or missing in ("mailplug", "mailplug_smtp"):
                raise
            disabled.append(missing)
            print(
                f"note: built-in plugin module {missing!r} is missing; scoring without it",
                file=sys.stderr,
            )
    else:  # pragma: no cover
        raise SystemExit("could not build an AsyncMailer")

    def explain(code, enhanced, text, stage):
        err = mailer.explain(code, enhanced, text, stage=stage or "rcpt")
        category = getattr(err, "category", None)
        category = getattr(category, "value", category)
        key = getattr(err, "key", None) or getattr(getattr(err, "spec", None), "key", None)
        return str(category), bool(getattr(err, "transient", False)), key

    return explain


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--misses", action="store_true", help="list every category/transient miss")
    ap.add_argument("--json", action="store_true", help="print a JSON summary instead of text")
    ap.add_argument(
        "--examples",
        type=int,
        default=0,
        metavar="K",
        help="show K example replies under each of the largest miss classes",
    )
    args = ap.parse_args(argv)

    rows = load(args.corpus)
    explain = make_explainer()
    import mailplug

    print(f"mailplug from: {Path(mailplug.__file__).parent}", file=sys.stderr)

    cat_ok = tr_ok = both_ok = errors = 0
    confusion: dict[str, Counter] = defaultdict(Counter)
    misses = []
    for r in rows:
        try:
            got_cat, got_tr, key = explain(r["code"], r.get("enhanced"), r["text"], r.get("stage"))
        except Exception as exc:  # the classifier itself failed on this reply
            got_cat, got_tr, key = "error", None, f"{type(exc).__name__}: {exc}"
            errors += 1
        c_ok = got_cat == r["category"]
        t_ok = got_tr == bool(r["transient"])
        cat_ok += c_ok
        tr_ok += t_ok
        both_ok += c_ok and t_ok
        confusion[r["category"]][got_cat] += 1
        if not (c_ok and t_ok):
            misses.append((r, got_cat, got_tr, key))

    n = len(rows)
    pct = lambda k: 100.0 * k / n if n else 0.0  # noqa: E731
    classes = Counter((r["category"], got) for r, got, _, _ in misses if r["category"] != got)

    if args.json:
        print(
            json.dumps(
                {
                    "entries": n,
                    "category_agreement": round(pct(cat_ok), 1),
                    "transient_agreement": round(pct(tr_ok), 1),
                    "both_agreement": round(pct(both_ok), 1),
                    "confusion": {k: dict(v) for k, v in confusion.items()},
                    "miss_classes": [
                        {"expected": e, "got": g, "count": c} for (e, g), c in classes.most_common()
                    ],
                },
                indent=2,
            )
        )
        return 0

    print(f"entries:              {n}")
    print(f"category agreement:   {cat_ok}/{n} = {pct(cat_ok):.1f}%")
    print(f"transient agreement:  {tr_ok}/{n} = {pct(tr_ok):.1f}%")
    print(f"both agree:           {both_ok}/{n} = {pct(both_ok):.1f}%")
    if errors:
        print(f"classifier errors:    {errors} (counted as misses; see --misses)")
    print()
    cats = sorted(set(confusion) | {g for c in confusion.values() for g in c})
    width = max(len(c) for c in cats) + 2
    print("confusion (rows: expected, columns: got)")
    print(" " * width + "".join(f"{c[:7]:>8}" for c in cats))
    for exp in sorted(confusion):
        print(f"{exp:<{width}}" + "".join(f"{confusion[exp].get(g, 0) or '.':>8}" for g in cats))
    print()
    print("largest miss classes (expected -> got: count)")
    for (exp, got), cnt in classes.most_common(15):
        print(f"  {exp} -> {got}: {cnt}")
        shown = 0
        for r, got_cat, _, key in misses:
            if shown >= args.examples:
                break
            if r["category"] == exp and got_cat == got:
                print(
                    f"      {r['id']}: {r['code']} {r.get('enhanced') or '-'} "
                    f"{r['text'][:110]}  [{key}]"
                )
                shown += 1
    tr_miss = Counter(
        (bool(r["transient"]), got_tr)
        for r, _, got_tr, _ in misses
        if bool(r["transient"]) != got_tr
    )
    for (exp, got), cnt in tr_miss.most_common():
        print(f"  transient {exp} -> {got}: {cnt}")

    if args.misses:
        print()
        print("misses")
        for r, got_cat, got_tr, key in misses:
            enh = r.get("enhanced") or "-"
            flag = []
            if got_cat != r["category"]:
                flag.append(f"category {r['category']} -> {got_cat}")
            if got_tr != bool(r["transient"]):
                flag.append(f"transient {r['transient']} -> {got_tr}")
            print(f"  {r['id']} [{'; '.join(flag)}] key={key}")
            print(
                f"      {r['code']} {enh} {r['text'][:160]}  "
                f"(stage={r.get('stage')}, {r['origin']})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
