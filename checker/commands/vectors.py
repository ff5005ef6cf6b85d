"""``paraspec vectors generate|run|schemas``: conformance test vectors.

* ``generate --out DIR``: write the suite (deterministic; see ``docs/vectors.md``),
  print the cases per handler, the mutation adequacy and the generation time;
* ``run DIR --adapter COMMAND``: run the suite against an implementation's adapter;
* ``schemas``: rewrite (or ``--check``) the JSON Schemas shipped in ``checker/schemas/``: the
  vector format's and the scenario files' (``checker.interp.schema``).
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import attrs
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..registry import UsageError, get_machine_class, load_all, machine_names
from ..outputs import check_dir, check_replaced_dir
from ..vectors.suites import SUITES
from ..report import atomic_write
from . import _args


def register(sub) -> None:
    from ..vectors.generate import Options

    p = sub.add_parser("vectors", help="generate conformance test vectors, or run them against an adapter")
    vsub = p.add_subparsers(dest="vectors_command", metavar="ACTION")
    vsub.required = True

    g = vsub.add_parser("generate", help="generate the vector suite (deterministic)",
                        description="Generate conformance vectors: rule scenarios (a positive and a negative case "
                                    "per rule ID), coverage cases (every action kind in every state shape the "
                                    "bounded exploration reaches), and one case per mutant; then measure the "
                                    "suite's mutation adequacy. The same command gives byte-identical files.")
    g.add_argument("--out", required=True, metavar="DIR", help="output directory (replaced as a whole)")
    g.add_argument("--preset", action="append", default=[], metavar="NAME",
                   help="preset to generate for (repeatable; default: tiny and the presets mutants are checked on)")
    g.add_argument("--machine", action="append", default=[], metavar="M",
                   help="machine to generate for (repeatable; default: all)")
    g.add_argument("--max-states", type=_args.positive_int, default=attrs.fields(Options).max_states.default, metavar="N",
                   help="states per exploration, per machine and preset (default %(default)s)")
    g.add_argument("--per-shape", type=_args.positive_int, default=attrs.fields(Options).per_shape.default, metavar="K",
                   help="states expanded per (state shape, depth) in the sampled exploration (default %(default)s)")
    g.add_argument("--max-actions", type=_args.positive_int, default=attrs.fields(Options).max_actions.default,
                   metavar="N", help="inputs tried per state, the machine's first ones (default %(default)s)")
    g.add_argument("--max-transitions-cut", type=_args.positive_int,
                   default=attrs.fields(Options).max_transitions_cut.default, metavar="N",
                   help="transitions per exploration once a state had more inputs than --max-actions "
                        "(a preset too large to explore: polkadot; default %(default)s)")
    g.add_argument("--quiet", "-q", action="store_true", help="print only the final line")
    _args.add_reading(g)
    from ..distributed.options import add_ray_args

    add_ray_args(g, "make each (preset, machine)'s cases as a task")
    g.set_defaults(func=generate)

    r = vsub.add_parser("run", help="run a vector suite against an implementation's adapter",
                        description="Start the adapter once and send it one JSON request per case on stdin; "
                                    "compare each JSON response line with the case's expected output and "
                                    "post-state.")
    r.add_argument("dir", metavar="DIR", help="the suite (made by `paraspec vectors generate`)")
    r.add_argument("--adapter", required=True, metavar="COMMAND",
                   help='the implementation\'s adapter command line, e.g. "paraspec adapter"')
    r.add_argument("--machine", action="append", default=[], metavar="M", help="only this machine (repeatable)")
    r.add_argument("--handler", action="append", default=[], metavar="GLOB",
                   help="only handlers matching machine/handler glob, e.g. 'inclusion/*' (repeatable)")
    r.add_argument("--preset", action="append", default=[], metavar="NAME", help="only this preset (repeatable)")
    r.add_argument("--suite", action="append", default=[], metavar="NAME",
                   choices=list(SUITES),
                   help="only this suite: runtime (one relay-chain block per case), runtime_module, node, protocol "
                        "(repeatable; see index.json suites)")
    r.add_argument("--timeout", type=_args.positive_float, default=10.0, metavar="S",
                   help="seconds the adapter may take per case (default 10)")
    r.add_argument("--max-crashes", type=_args.positive_int, default=5, metavar="N",
                   help="skip a handler's remaining cases after N crashes or timeouts in a row (default 5)")
    r.add_argument("--exitfirst", "-x", action="store_true", help="stop at the first case that does not pass")
    r.add_argument("--allow-unsupported", action="store_true",
                   help="cases the adapter declares unsupported do not fail the run")
    r.add_argument("--json", metavar="FILE", help="write the per-case results as JSON")
    r.add_argument("--junit", metavar="FILE", help="write the per-case results as JUnit XML")
    r.add_argument("--verbose", "-v", action="store_true", help="print every case, not only failures")
    r.add_argument("--quiet", "-q", action="store_true", help="print only the final line")
    r.set_defaults(func=run)

    mp = vsub.add_parser("mapping", help="write docs/vectors-mapping.md: vector fields and rules -> polkadot-sdk")
    mp.add_argument("--out", metavar="FILE", default="docs/vectors-mapping.md",
                    help="file to write (default %(default)s)")
    mp.add_argument("--check", action="store_true", help="only check that the file is current")
    mp.set_defaults(func=mapping)

    s = vsub.add_parser("schemas", help="write the JSON Schemas into checker/schemas/: the vector format's and the "
                        "scenario files' (<machine>.scenario.schema.json)")
    s.add_argument("--out", metavar="DIR", help="directory to write (default: the package's checker/schemas/)")
    s.add_argument("--check", action="store_true", help="only check that the shipped schemas are current")
    s.set_defaults(func=schemas)


def _console() -> Console:
    return Console(highlight=False, width=None if Console().is_terminal else 160)


# -- generate -------------------------------------------------------------------------------------------


def _effect_text(e: dict | None) -> str:
    """``changed/fields (pct)`` of one handler's effect adequacy."""
    if not e or not e["fields"]:
        return "- (changes nothing)"
    n, m = len(e["changed_by_cases"]), len(e["fields"])
    return f"{n}/{m} ({100.0 * n / m:.0f}%)"


def generate(args) -> int:
    load_all()
    from paraspec.properties.core import MUTANTS

    from ..vectors.generate import Options
    from ..vectors.generate import generate as gen

    for m in args.machine:
        get_machine_class(m)
    for p in args.preset:  # named machines must have it; of all machines, at least one
        if args.machine:
            _args.check_preset(p, args.machine)
        elif not any(p in get_machine_class(m).presets for m in machine_names()):
            _args.check_preset(p, machine_names())
    out = Path(args.out)
    check_replaced_dir(out, "--out")
    if out.exists():
        if not out.is_dir():
            raise UsageError(f"--out {out}: exists and is not a directory")
        if any(out.iterdir()) and not (out / "index.json").is_file():
            raise UsageError(f"--out {out}: not empty and not a vector suite (no index.json); refusing to replace it")

    console = _console()
    log = (lambda s: None) if args.quiet else (lambda s: console.print(s, markup=False))
    opts = Options(presets=tuple(dict.fromkeys(args.preset)), machines=tuple(dict.fromkeys(args.machine)),
                   per_shape=args.per_shape, max_states=args.max_states, max_actions=args.max_actions,
                   max_transitions_cut=args.max_transitions_cut, reading=args.reading)
    cases_map = None
    if args.ray is not None:
        from ..distributed.cli import start, vector_cases

        start(args)
        cases_map = vector_cases
    if not args.quiet:
        console.print(f"generating vectors into {out}", markup=False)
    res = gen(out, opts, log, cases_map)

    if not args.quiet:
        t = Table(title="cases per handler")
        for col in ("preset/machine/handler", "rule", "coverage", "effect", "mutant", "total", "effect coverage"):
            t.add_column(col, justify="left" if col.startswith("preset") else "right")
        for k, c in sorted(res.handlers.items()):
            t.add_row(escape(k), str(c["rule"]), str(c["coverage"]), str(c["effect"]), str(c["mutant"]),
                      str(sum(c.values())), _effect_text(res.effects.get(k)))
        console.print(t)
        a = Table(title="mutation adequacy: each mutant run as an implementation against the suite")
        for col in ("mutant", "machine", "cases run", "failing case", "verdict"):
            a.add_column(col)
        for name, (failed, n, first) in sorted(res.mutation.items()):
            a.add_row(escape(name), escape(MUTANTS[name].machine), str(n), escape(first or "-"),
                      "[green]killed[/]" if failed else "[bold red]survives[/]")
        console.print(a)
        for preset, names in res.index.get("machines_without_preset", {}).items():
            console.print(escape(f"preset {preset}: not a preset of {', '.join(names)} (no cases for them there)"))
        for gap in res.gaps:
            console.print(f"[red]gap:[/] {escape(gap)}")
    survivors = sorted(n for n, (f, _, _) in res.mutation.items() if not f)
    pct = 100.0 * res.killed / len(res.mutation) if res.mutation else 100.0
    fields = sum(len(e["fields"]) for e in res.effects.values())
    changed = sum(len(e["changed_by_cases"]) for e in res.effects.values())
    console.print(f"{res.cases} cases in {len(res.handlers)} handler directories, mutation adequacy "
                  f"{res.killed}/{len(res.mutation)} ({pct:.0f}%), effect coverage {changed}/{fields} "
                  f"({100.0 * changed / fields if fields else 100.0:.0f}%), {len(res.gaps)} rule gaps, "
                  f"generated in {res.elapsed:.1f}s into {out}", markup=False)
    for name in survivors:
        home = MUTANTS[name].preset
        hint = f" (it is checked on preset {home}; add --preset {home})" if home and home not in res.index["presets"] \
            else ""
        console.print("[red]" + escape(f"mutant {name} passes every case{hint}") + "[/]")
    return 0 if not survivors and not res.gaps else 1


def mapping(args) -> int:
    from ..vectors.mapping import render

    text = render()
    out = Path(args.out)
    if args.check:
        current = out.read_text() if out.is_file() else None
        if current != text:
            print(f"{out}: not current; run `paraspec vectors mapping --out {out}`")
            return 1
        print(f"{out}: current")
        return 0
    check_dir(out.parent, "--out")
    atomic_write(out, text)
    print(f"wrote {out}")
    return 0


# -- run ---------------------------------------------------------------------------------------------------


def run(args) -> int:
    from ..vectors.cases import VectorError
    from ..vectors.runner import AdapterStartError, Status, run_cases, summarize
    from ..vectors.suite import load_suite

    _args.check_outputs(args)
    try:
        cases = load_suite(args.dir, args.machine, args.handler, args.preset)
        if args.suite:
            from ..vectors.suites import suite_of

            cases = [c for c in cases if suite_of(c.handler) in args.suite]
    except VectorError as e:
        raise UsageError(f"{args.dir}: {e}") from None
    if not cases:
        raise UsageError(f"{args.dir}: no cases match the selection")

    console = _console()
    bad = (Status.FAIL, Status.ERROR, Status.SKIPPED) + (() if args.allow_unsupported else (Status.UNSUPPORTED,))

    def show(r) -> None:
        if args.quiet:
            return
        if r.status in bad:
            console.print(f"[red]{escape(str(r.status).upper())}[/] {escape(str(r.id))}: {escape(str(r.message))}",
                          soft_wrap=True)
        elif args.verbose:
            console.print(f"[green]{escape(str(r.status).upper())}[/] {escape(str(r.id))}"
                          + (f": {escape(str(r.message))}" if r.message else ""), soft_wrap=True)

    start = time.perf_counter()
    try:
        results = run_cases(cases, args.adapter, timeout=args.timeout, max_crashes=args.max_crashes,
                            on_result=show, exitfirst=args.exitfirst)
    except AdapterStartError as e:
        raise UsageError(f"--adapter: {e}") from None
    elapsed = time.perf_counter() - start
    summary = summarize(results)
    if not args.quiet:
        t = Table(title=escape(f"paraspec vectors run: {args.adapter}"))
        t.add_column("handler")
        for s in Status.ALL:
            t.add_column(s, justify="right")
        for h, row in summary.items():
            t.add_row(escape(str(h)), *[str(row[s]) for s in Status.ALL])
        console.print(t)
    counts = {s: sum(1 for r in results if r.status == s) for s in Status.ALL}
    ok = not any(counts[s] for s in bad)
    parts = [f"{counts[s]} {'passed' if s == Status.PASS else s}" for s in Status.ALL if counts[s] or s == Status.PASS]
    console.print(f"{len(results)} cases: " + ", ".join(parts) + f" in {elapsed:.1f}s"
                  + (" - [green]conforms[/]" if ok else " - [red]does not conform[/]"))
    if args.json:
        atomic_write(args.json, json.dumps({
            "tool": "paraspec", "suite": str(args.dir), "adapter": args.adapter, "ok": ok,
            "counts": counts, "handlers": summary, "elapsed_s": round(elapsed, 3),
            "cases": [{"id": r.id, "handler": r.handler, "kind": r.kind, "status": r.status,
                       "message": r.message, "elapsed_s": round(r.elapsed, 6)} for r in results],
        }, indent=1) + "\n")
    if args.junit:
        _write_junit(args.junit, results, summary)
    return 0 if ok else 1


def _write_junit(path: str, results, summary) -> None:
    from ..vectors.runner import Status

    root = ET.Element("testsuites", name="paraspec vectors")
    suites = {}
    for h, row in summary.items():
        suites[h] = ET.SubElement(root, "testsuite", name=h, tests=str(row["total"]),
                                  failures=str(row[Status.FAIL]), errors=str(row[Status.ERROR]),
                                  skipped=str(row[Status.SKIPPED] + row[Status.UNSUPPORTED]),
                                  time=f"{sum(r.elapsed for r in results if r.handler == h):.3f}")
    for r in results:
        case = ET.SubElement(suites[r.handler], "testcase", classname=str(r.handler), name=str(r.id).rsplit("/", 1)[-1],
                             time=f"{r.elapsed:.4f}")
        if r.status == Status.FAIL:
            ET.SubElement(case, "failure", message=r.message, type="mismatch").text = r.id
        elif r.status == Status.ERROR:
            ET.SubElement(case, "error", message=r.message, type="adapter").text = r.id
        elif r.status in (Status.SKIPPED, Status.UNSUPPORTED):
            ET.SubElement(case, "skipped", message=r.message)
    ET.indent(root)
    atomic_write(path, ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n")


# -- schemas ----------------------------------------------------------------------------------------------


def schemas(args) -> int:
    from ..vectors.cases import dump
    from ..vectors.schemas import SCHEMA_DIR, all_schemas, check_shipped

    from ..interp import schema as scenario

    console = _console()
    if args.check:
        stale = check_shipped() + scenario.check_shipped()
        for s in stale:
            console.print(f"[red]{escape(s)}[/]")
        console.print("schemas are current" if not stale else
                      f"{len(stale)} schema file(s) stale: run `paraspec vectors schemas`")
        return 0 if not stale else 1
    out = Path(args.out) if args.out else SCHEMA_DIR
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory")
    if not out.resolve().parent.is_dir():
        raise UsageError(f"--out {out}: directory {out.resolve().parent} does not exist")
    check_dir(out, "--out")
    out.mkdir(exist_ok=True)
    files = all_schemas()
    for name, sch in sorted(files.items()):
        atomic_write(out / name, dump(sch))
    scenarios = scenario.all_scenario_schemas()
    for name, sch in sorted(scenarios.items()):  # the scenario schemas (paraspec run), beside them
        atomic_write(out / name, scenario.render(sch))
    console.print(f"wrote {len(files)} vector and {len(scenarios)} scenario schema files into {out}", markup=False)
    return 0
