"""``paraspec list``: machines, properties, rule IDs, mutants and presets."""

from __future__ import annotations

import argparse

import json

from rich.console import Console
from rich.table import Table

from ..registry import get_machine_class, load_all


KINDS = ("machines", "properties", "mutants", "lemmas", "rules", "presets")

EXAMPLE = """examples:
  paraspec list                                   # a table of the machines (and how to see more)
  paraspec list --machine halts --kind properties # the properties of halts, with their rule IDs
  paraspec list --kind rules --machine rescue     # the rules of spec/rescue.md
  paraspec list --kind presets --json             # machine-readable"""


def register(sub) -> None:
    import argparse

    p = sub.add_parser("list", help="list machines, properties, rule IDs, mutants and presets",
                       description="List what paraspec knows: its machines, their properties (with the rule IDs "
                                   "they check), mutants, Z3 lemmas, the rules of spec/ and the presets. Without "
                                   "a filter only the machines are shown; --kind and --machine select more. "
                                   "Instant.",
                       epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--machine", action="append", default=[], metavar="NAME",
                   help="only this machine's entries (repeatable); rules: those of its spec document")
    p.add_argument("--kind", action="append", default=[], choices=KINDS + ("all",),
                   help="what to list (repeatable; default: machines, or every kind when --machine is given)")
    p.add_argument("--json", action="store_true", help="print as JSON (every kind unless --kind is given)")
    p.set_defaults(func=run)


def _filter(data: dict, machines: list[str]) -> dict:
    """``data`` restricted to ``machines``; rules: those of the spec documents that name the machine or whose
    IDs its properties check."""
    if not machines:
        return data
    from ..registry import get_machine_class

    for m in machines:
        get_machine_class(m)  # unknown: one line, exit 2
    keep = set(machines)
    out = dict(data)
    out["machines"] = [m for m in data["machines"] if m["name"] in keep]
    out["properties"] = [p for p in data["properties"] if p["machine"] in keep]
    out["mutants"] = [m for m in data["mutants"] if m["machine"] in keep]
    out["presets"] = {k: v for k, v in data["presets"].items() if k in keep}
    ids = {r for p in out["properties"] for r in p["rules"]}
    docs = {f"spec/{m}.md" for m in keep}
    out["rules"] = [r for r in data["rules"] if r["id"] in ids or r["document"] in docs]
    out["lemmas"] = [lm for lm in data.get("lemmas", []) if set(lm["rules"]) & ids]
    return out


def catalogue() -> dict:
    load_all()
    from paraspec.model.core import MACHINES
    from paraspec.properties.core import MUTANTS, PROPERTIES

    from ..spec import load_rules

    rules = load_rules()
    extra: dict = {}
    try:  # lemmas of the symbolic engine, when present
        from ..symbolic import lemmas as _lemmas  # type: ignore

        extra["lemmas"] = [{"name": lm.name, "rules": list(lm.rules), "doc": lm.doc}
                           for lm in _lemmas.all_lemmas()]
    except ImportError:
        pass
    return {
        "machines": [
            {"name": n, "area": c.area, "description": c.description,
             "properties": sorted(PROPERTIES.get(n, {})),
             "mutants": sorted(m.name for m in MUTANTS.values() if m.machine == n)}
            for n, c in sorted(MACHINES.items())
        ],
        "properties": [
            {"machine": p.machine, "name": p.name, "kind": p.kind.value, "rules": list(p.rules), "doc": p.doc}
            for ps in PROPERTIES.values() for p in ps.values()
        ],
        "mutants": [
            {"name": m.name, "machine": m.machine, "kills": list(m.kills), "preset": m.preset, "doc": m.doc}
            for m in MUTANTS.values()
        ],
        "rules": [
            {"id": r.id, "title": r.title, "document": f"spec/{r.document}", "decision": r.is_decision}
            for r in rules.values()
        ],
        "presets": {n: {p: c.values_of(params) for p, params in c.presets.items()}
                    for n, c in sorted(MACHINES.items())},
        **extra,
    }


def run(args) -> int:
    data = _filter(catalogue(), args.machine)
    kinds = set(args.kind) - {"all"} if args.kind and "all" not in args.kind else set(KINDS)
    if not args.kind and not args.json and not args.machine:
        kinds = {"machines"}
    if args.json:
        print(json.dumps({k: v for k, v in data.items() if k in kinds}, indent=2))
        return 0
    console = Console()
    _tables(console, data, kinds)
    if kinds == {"machines"} and not args.kind:
        console.print("more: --kind properties|mutants|lemmas|rules|presets|all, --machine NAME "
                      "(e.g. paraspec list --machine halts --kind properties)")
    return 0


def _tables(console: Console, data: dict, kinds: set[str]) -> None:
    if "machines" in kinds:
        _machines(console, data)
    if "properties" in kinds:
        _properties(console, data)
    if "mutants" in kinds:
        _mutants(console, data)
    if "lemmas" in kinds:
        _lemmas(console, data)
    if "rules" in kinds:
        _rules(console, data)
    if "presets" in kinds:
        _presets(console, data)


def _machines(console: Console, data: dict) -> None:
    t = Table(title="machines")
    for c in ("machine", "description", "properties", "mutants"):
        t.add_column(c)
    for m in data["machines"]:
        t.add_row(m["name"], m["description"], str(len(m["properties"])), str(len(m["mutants"])))
    console.print(t)


def _properties(console: Console, data: dict) -> None:
    t = Table(title="properties")
    for c in ("machine", "property", "kind", "rule IDs", "meaning"):
        t.add_column(c)
    for p in data["properties"]:
        t.add_row(p["machine"], p["name"], p["kind"], ", ".join(p["rules"]), p["doc"])
    console.print(t)


def _mutants(console: Console, data: dict) -> None:
    t = Table(title="mutants")
    for c in ("mutant", "machine", "caught by", "preset", "what it breaks"):
        t.add_column(c)
    for m in data["mutants"]:
        t.add_row(m["name"], m["machine"], ", ".join(m["kills"]), m["preset"] or get_machine_class(m["machine"]).default_preset, m["doc"])
    console.print(t)


def _lemmas(console: Console, data: dict) -> None:
    if data.get("lemmas"):
        t = Table(title="lemmas (paraspec prove)")
        for c in ("lemma", "rule IDs", "statement"):
            t.add_column(c)
        for lm in data["lemmas"]:
            t.add_row(lm["name"], ", ".join(lm["rules"]), lm["doc"])
        console.print(t)


def _rules(console: Console, data: dict) -> None:
    t = Table(title="rules")
    for c in ("id", "title", "document"):
        t.add_column(c)
    for r in data["rules"]:
        t.add_row(r["id"], r["title"], r["document"])
    console.print(t)


def _presets(console: Console, data: dict) -> None:
    t = Table(title="presets (each machine's own; --set reaches the parameters listed)")
    for c in ("machine", "preset", "parameters"):
        t.add_column(c)
    for name, presets in data["presets"].items():
        for preset, values in presets.items():
            t.add_row(name if preset == next(iter(presets)) else "", preset,
                      ", ".join(f"{k}={v}" for k, v in values.items() if k != "preset"))
    console.print(t)
