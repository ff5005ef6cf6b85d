"""``paraspec report FILE.json --github``: a JSON report (of ``check --json`` or ``vectors run --json``)
as GitHub Actions workflow commands, one ``::error`` line per failing property or vector case."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..limits import InputError, read_json_file
from ..registry import UsageError

EXAMPLE = """example:
  paraspec check --json out/check.json || paraspec report out/check.json --github
  (prints ::error title=paraspec inclusion.backed_needs_quorum::violated (INC-7) ...)"""


def register(sub) -> None:
    p = sub.add_parser("report", help="turn a JSON report into GitHub annotations or a one-line summary",
                       description="Read a report written by `paraspec check --json` or `paraspec vectors run "
                                   "--json` and print one line per failing property or vector case: as GitHub "
                                   "Actions ::error commands with --github (the failure is shown on the run's "
                                   "page), else as plain text. Exit 1 when the report has failures.",
                       epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE.json", help="JSON reports")
    p.add_argument("--github", action="store_true", help="print GitHub Actions workflow commands (::error ...)")
    p.set_defaults(func=run)


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def failures(data: Any, name: str) -> list[dict]:
    """The failures of one report: dicts with ``title``, ``message`` and ``file`` (or None)."""
    if not isinstance(data, dict) or data.get("tool") != "paraspec":
        raise UsageError(f"{name}: $.tool: not a paraspec JSON report")
    out = []
    for r in data.get("results") or []:
        label = r.get("machine", "?") + (f"[mutant {r['mutant']}]" if r.get("mutant") else "")
        if r.get("mutant"):
            continue  # a mutant's violations are expected; `check --all-mutants` exits 1 on a survivor
        for p in r.get("properties") or []:
            if p.get("verdict") in ("holds", "witnessed", "not checked"):
                continue
            why = p.get("verdict")
            if why in ("unwitnessed", "vacuous") and not r.get("complete", True):
                why += f" (the search was bounded: {r.get('stopped')})"
            out.append({"title": f"paraspec {label}.{p.get('name')}",
                        "message": f"{why} ({', '.join(p.get('rules') or [])}): {p.get('doc', '')}"
                                   + (f"; trace {p['trace_file']}" if p.get("trace_file") else ""),
                        "file": p.get("trace_file")})
        if r.get("error"):
            out.append({"title": f"paraspec {label}: model error", "message": str(r["error"].get("message")),
                        "file": None})
    for c in data.get("cases") or []:
        if c.get("status") in ("fail", "error", "skipped"):
            out.append({"title": f"paraspec vector {c.get('id')}", "message": f"{c.get('status')}: {c.get('message')}",
                        "file": None})
    return out


def run(args) -> int:
    found = []
    for name in args.files:
        try:
            data = read_json_file(name)
        except InputError as e:
            raise UsageError(str(e)) from None
        found += failures(data, name)
    for f in found:
        if args.github:
            where = f"file={_escape_prop(f['file'])}," if f["file"] else ""
            print(f"::error {where}title={_escape_prop(f['title'])}::{_escape_data(f['message'])}")
        else:
            print(f"{f['title']}: {f['message']}")
    if not found:
        print(f"{len(args.files)} report(s): no failures")
    return 1 if found else 0
