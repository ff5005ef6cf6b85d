"""``paraspec list``: machines, properties, rule IDs, mutants and presets."""

from __future__ import annotations

import argparse

import json

from rich.console import Console
from rich.table import Table

from ..registry import load_all


def register(sub) -> None:
    p = sub.add_parser("list", help="list machines, properties, rule IDs, mutants and presets",
                       description="List the registered machines, their properties (with the rule IDs each "
                                   "checks), mutants and presets.",
                       epilog="example:\n  paraspec list --json > machines.json",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=run)


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
    data = catalogue()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    console = Console()
    t = Table(title="machines")
    for c in ("machine", "description", "properties", "mutants"):
        t.add_column(c)
    for m in data["machines"]:
        t.add_row(m["name"], m["description"], str(len(m["properties"])), str(len(m["mutants"])))
    console.print(t)
    t = Table(title="properties")
    for c in ("machine", "property", "kind", "rule IDs", "meaning"):
        t.add_column(c)
    for p in data["properties"]:
        t.add_row(p["machine"], p["name"], p["kind"], ", ".join(p["rules"]), p["doc"])
    console.print(t)
    t = Table(title="mutants")
    for c in ("mutant", "machine", "caught by", "preset", "what it breaks"):
        t.add_column(c)
    for m in data["mutants"]:
        t.add_row(m["name"], m["machine"], ", ".join(m["kills"]), m["preset"] or "tiny", m["doc"])
    console.print(t)
    if data.get("lemmas"):
        t = Table(title="lemmas (paraspec prove)")
        for c in ("lemma", "rule IDs", "statement"):
            t.add_column(c)
        for lm in data["lemmas"]:
            t.add_row(lm["name"], ", ".join(lm["rules"]), lm["doc"])
        console.print(t)
    t = Table(title="rules")
    for c in ("id", "title", "document"):
        t.add_column(c)
    for r in data["rules"]:
        t.add_row(r["id"], r["title"], r["document"])
    console.print(t)
    t = Table(title="presets (each machine's own; --set reaches the parameters listed)")
    for c in ("machine", "preset", "parameters"):
        t.add_column(c)
    for name, presets in data["presets"].items():
        for preset, values in presets.items():
            t.add_row(name if preset == next(iter(presets)) else "", preset,
                      ", ".join(f"{k}={v}" for k, v in values.items() if k != "preset"))
    console.print(t)
    return 0
