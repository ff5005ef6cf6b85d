"""``paraspec prove``: parametric lemmas, k-induction of machine invariants, BMC of mutants."""

from __future__ import annotations

import argparse
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..registry import UsageError, build, get_machine_class, get_mutant, load_all, machine_names, properties_of
from ..outputs import Staged
from ..report import atomic_write
from ..symbolic.limits import MAX_DEPTH, MAX_TIMEOUT_S
from . import _args

_STYLE = {"proved": "green", "counterexample": "bold red", "bounded": "yellow", "unknown": "bold red"}


def register(sub) -> None:
    p = sub.add_parser(
        "prove", help="prove the lemmas for every n, and machine properties by k-induction (Z3)",
        description="Prove the parametric lemmas (for every validator count) and every always/transition "
                    "property of the machines by k-induction over their symbolic encoding. With --mutant, "
                    "bounded model checking of a mutant must find counterexamples (replayed on the model). "
                    "Exit 0 only when everything selected is proved (or every mutant is caught). An item the "
                    "engine cannot decide (a machine or mutant it cannot encode, a timeout, the solver giving "
                    "up) is reported per item as 'unknown: <reason>' and is never proved: exit 1, except "
                    "with --mutant alone, where exit 1 means caught and an undecided mutant exits 0 like a "
                    "surviving one. Exit 2: bad input.")
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="lemmas and machines to prove (default: every lemma and every machine with a "
                        "symbolic domain)")
    _args.add_preset(p)
    p.add_argument("--depth", type=_depth, metavar="K",
                   help=f"largest k for k-induction (default 4); BMC depth for mutants (default 10); "
                        f"at most {MAX_DEPTH}")
    p.add_argument("--timeout", type=_timeout, default=120.0, metavar="S",
                   help=f"time limit per lemma and per machine proof, in seconds (default 120, at most "
                        f"{MAX_TIMEOUT_S:,})")
    p.add_argument("--mutant", action="append", default=[], metavar="NAME",
                   help="model-check a mutant symbolically (repeatable); exits 1 when caught")
    p.add_argument("--all-mutants", action="store_true",
                   help="check every mutant of the selected machines; exits 0 only if each yields a "
                        "counterexample for every property it names")
    p.add_argument("--property", action="append", default=[], metavar="NAME",
                   help="prove only the properties matching NAME (a name, MACHINE.NAME or a glob; repeatable); "
                        "the auxiliary invariants declared with aux=True are still used (and proved)")
    p.add_argument("--route", choices=("auto", "symbolic", "wide"), default="auto",
                   help="how a machine is proved: k-induction over the symbolic executor's encoding "
                        "(masks up to 16 bits), 1-induction over bit-vectors as wide as the masks (a machine "
                        "with dual-use rules: avail_core, availability, any N), or auto (default: wide when "
                        "the masks do not fit the executor)")
    p.add_argument("--no-strengthening", action="store_true",
                   help="k-induction without the auxiliary invariants the machines declare")
    p.add_argument("--crosscheck", type=_args.nonneg_int, metavar="D",
                   help="first check each machine's encoding against the explicit engine on every state "
                        "reachable within D steps")
    p.add_argument("--json", metavar="FILE", help="write the report as JSON")
    p.add_argument("--junit", metavar="FILE", help="write the report as JUnit XML")
    p.add_argument("--trace-dir", metavar="DIR", help="write counterexamples as ITF traces")
    p.add_argument("--quiet", "-q", action="store_true", help="no table")
    p.set_defaults(func=run)


def _depth(text: str) -> int:
    v = _args.positive_int(text)
    if v > MAX_DEPTH:
        raise argparse.ArgumentTypeError(f"at most {MAX_DEPTH} (the symbolic engine's limit), got {text!r}")
    return v


def _timeout(text: str) -> float:
    v = _args.positive_float(text)
    if v > MAX_TIMEOUT_S:
        raise argparse.ArgumentTypeError(f"at most {MAX_TIMEOUT_S:,} seconds, got {text!r}")
    return v


def _select(args) -> tuple[list, list[str], list]:
    from ..symbolic.lemmas import all_lemmas
    from ..symbolic.run import symbolic_machines

    lemmas = {lm.name: lm for lm in all_lemmas()}
    machines = set(machine_names())
    chosen_lemmas, chosen_machines = [], []
    for n in args.names:
        if n in lemmas:
            chosen_lemmas.append(lemmas[n])
        elif n in machines:
            chosen_machines.append(n)
        else:
            raise UsageError(f"unknown lemma or machine {n!r} (see `paraspec list`)")
    mutants = []
    if args.mutant or args.all_mutants:
        from paraspec.properties.core import MUTANTS

        mutants = [get_mutant(m) for m in args.mutant]
        if args.all_mutants:
            pool = chosen_machines or symbolic_machines()
            mutants += [m for m in MUTANTS.values() if m.machine in pool and m not in mutants]
        if chosen_machines and args.mutant:
            for m in mutants:
                if m.machine not in chosen_machines:
                    raise UsageError(f"--mutant {m.name}: belongs to machine {m.machine!r}, not selected")
        return chosen_lemmas, [], mutants
    if not args.names:
        return list(lemmas.values()), symbolic_machines(), []
    return chosen_lemmas, chosen_machines, []


def run(args: argparse.Namespace) -> int:
    load_all()
    from ..symbolic import run as R

    overrides = _args.overrides_of(args)
    trace_dir = _args.check_outputs(args)
    lemmas, machines, mutants = _select(args)
    for n in machines:
        get_machine_class(n)
    if args.preset is not None:
        _args.check_preset(args.preset, machines or sorted({m.machine for m in mutants}))

    console = Console(width=None if Console().is_terminal else 160)
    items, runs, crosscheck_failures = _prove_selected(args, lemmas, machines, mutants, overrides, console)

    with Staged() as staged:  # traces to temporaries, the report, then the traces into place
        files: dict[str, str] = {}
        if trace_dir is not None:
            files = _write_traces(trace_dir, items, staged)
        if not args.quiet:
            _print_table(console, items)
            _print_runs(console, runs)
            _print_ctis(console, items, files)
        if args.json:
            atomic_write(args.json, json.dumps(_to_json(items, runs, files, crosscheck_failures), indent=2) + "\n")
        if args.junit:
            _write_junit(args.junit, items)
        staged.commit()

    relevant = [i for i in items if i.decides]
    if mutants:
        caught = _mutants_caught(items, mutants)
        ok = all(caught.values()) and not crosscheck_failures and all(i.ok for i in items if i.engine == "lemma"
                                                                      and i.expect_proof)
        if not args.quiet:
            for name, c in caught.items():
                console.print(f"mutant {name}: " + (_caught(items, name) if c else _not_caught(items, name)))
        if args.mutant and not args.all_mutants:
            return 1 if any(caught.values()) or crosscheck_failures else 0  # like `check --mutant`
        return 0 if ok else 1
    ok = R.items_ok(relevant) and not crosscheck_failures
    if not args.quiet:
        counts: dict[str, int] = {}
        for i in items:
            counts[i.status] = counts.get(i.status, 0) + 1
        total = sum(i.elapsed for i in items if i.engine == "lemma") + sum(r["elapsed_s"] for r in runs)
        console.print(f"{len(items)} item(s), {total:.1f}s: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
                      + (" — [green]all proved[/]" if ok else " — [red]not all proved[/]"))
    return 0 if ok else 1


def _prove_selected(args, lemmas, machines, mutants, overrides, console: Console):
    """Prove the lemmas, the machines (k-induction) and the mutants (BMC) selected, on the
    properties ``--property`` selects: (items, runs, crosscheck failures)."""
    from ..symbolic import run as R
    from ..symbolic.lemmas import counting_lemma
    from ..symbolic.wide import wide_applicable
    from .check import select_properties

    items: list = []
    runs: list[dict[str, Any]] = []
    crosscheck_failures: list[str] = []
    selected = select_properties(args.property, sorted(set(machines) | {mu.machine for mu in mutants}))
    if args.property and args.all_mutants:  # the mutants that some selected property must catch
        mutants = [mu for mu in mutants if mu.name in args.mutant
                   or set(mu.kills) & {p.name for p in selected[mu.machine]}]
    items += R.prove_lemmas(lemmas, timeout=args.timeout)
    for name in machines:
        m = build(name, args.preset, None, overrides)
        props = selected[name]
        if args.crosscheck is not None:
            crosscheck_failures += _crosscheck(m, props, args.crosscheck, console, args.quiet)
        if _wide_route(m, args.route, wide_applicable):  # masks of any width: N >= 100
            proof, its = R.prove_wide_item(m, props, timeout=args.timeout,
                                           assume=[] if args.no_strengthening else properties_of(name),
                                           use_aux=not args.no_strengthening)
        else:
            proof, its = R.prove_machine_item(m, props, max_k=args.depth or 4, timeout=args.timeout,
                                              use_aux=not args.no_strengthening,
                                              declared_aux=[p for p in properties_of(name) if p.aux])
        items += its
        runs.append(_run_dict(proof, m))
    for mu in mutants:
        m = build(mu.machine, args.preset, mu.name, overrides)
        props = selected[mu.machine]
        if args.crosscheck is not None:
            crosscheck_failures += _crosscheck(m, props, args.crosscheck, console, args.quiet)
        proof, its = R.bmc_mutant(m, props, mu.kills, depth=args.depth or 10, timeout=args.timeout)
        items += its
        runs.append(_run_dict(proof, m))
        for cm in mu.cls.counting_models():  # the counting abstraction of the mutant, for every n (informative)
            lm = counting_lemma(cm, mu.cls)
            r = lm.prove(args.timeout)
            items.append(R.Item("lemma", lm.name, lm.rules, r.verdict, r.elapsed, lm.doc, mu.machine, None,
                                mu.name, "lemma", expect_proof=False, decides=False))
    return items, runs, crosscheck_failures


def _wide_route(m, route: str, wide_applicable) -> bool:
    """Whether a machine is proved over wide bit-vectors (``checker.symbolic.wide``): asked for
    (``--route wide``), or by default when the machine declares no symbolic domain or one whose
    values need more bits than the symbolic executor's ``WIDTH`` (a vote mask over more than
    about 14 validators), and its rules are dual-use."""
    if route == "symbolic" or not wide_applicable(m):
        return False
    if route == "wide":
        return True
    from ..symbolic.symexec import WIDTH

    dom = m.symbolic_domain()
    return dom is None or max(hi for _, hi in dom.values()).bit_length() >= WIDTH - 1


def _caught(items, mutant: str) -> str:
    """``caught: killed by P in k steps`` (the shortest of the counterexamples to the properties
    the mutant names)."""
    got = sorted((len(i.verdict.trace), i.name.split(".", 1)[1]) for i in items
                 if i.mutant == mutant and i.engine == "bmc" and i.status == "counterexample"
                 and not i.expect_proof and i.verdict.trace is not None)
    if not got:
        return "[green]caught[/]"
    k, prop = got[0]
    return f"[green]caught: killed by {escape(prop)} in {k} step{'s' if k != 1 else ''}[/]"


def _not_caught(items, mutant: str) -> str:
    """Survived, or undecided when a verdict on it is unknown (no encoding, timeout)."""
    if any(i.mutant == mutant and i.engine == "bmc" and i.status == "unknown" for i in items):
        return "[bold red]not caught[/] (a verdict is unknown)"
    return "[bold red]survived[/]"


def _mutants_caught(items, mutants) -> dict[str, bool]:
    out = {}
    for mu in mutants:
        verdicts = {i.name.split(".", 1)[1]: i.status for i in items
                    if i.mutant == mu.name and i.engine == "bmc"}
        out[mu.name] = all(verdicts.get(k) == "counterexample" for k in mu.kills)
    return out


def _crosscheck(m, props, depth: int, console: Console, quiet: bool) -> list[str]:
    from ..symbolic.crosscheck import crosscheck, reachable_states
    from ..symbolic.encoding import NoEncoding, encode

    try:
        enc = encode(m)
        states = reachable_states(m, depth)
        n, bad = crosscheck(enc, states, props)
    except NoEncoding as e:
        return [f"{m.name}: no symbolic encoding: {e}"]
    if not quiet:
        label = m.name + (f"[{m.mutant_name}]" if m.mutant_name else "")
        console.print(f"crosscheck {label} @ {m.preset}: {len(states):,} states, {n:,} comparisons, "
                      + ("[green]encoding agrees with the model[/]" if not bad else f"[red]{len(bad)} mismatches[/]"))
        for b in bad[:5]:
            console.print(f"  [red]{b}[/]")
    return [f"{m.name}: {b}" for b in bad]


def _status_text(i) -> str:
    v = i.verdict
    text = escape(str(v))
    if not i.decides:
        return f"[dim]{text} (informative)[/]"
    if not i.expect_proof and v.status == "counterexample":
        return f"[green]{text} (expected)[/]"
    style = _STYLE.get(v.status, "")
    if not i.expect_proof:
        style = "bold red"
    return f"[{style}]{text}[/]"


def _print_table(console: Console, items) -> None:
    t = Table(title="paraspec prove")
    for col in ("engine", "item", "kind", "rule IDs", "verdict", "time"):
        t.add_column(col, justify="right" if col == "time" else "left")
    for i in items:
        t.add_row(i.engine, escape(i.name), i.kind, ", ".join(i.rules), _status_text(i), f"{i.elapsed:.2f}s")
    console.print(t)


def _verdict_dict(v) -> dict[str, Any]:
    d: dict[str, Any] = {"status": v.status, "text": str(v)}
    if v.status == "proved":
        d["k"] = v.k
        d["strengthened_by"] = list(v.strengthened_by)
    elif v.status == "counterexample":
        if v.trace is not None:
            d["trace_length"] = len(v.trace)
            d["actions"] = [repr(a) for a in v.trace.actions]
        if v.assignment is not None:
            d["assignment"] = v.assignment
        d["failed"] = v.what
    elif v.status == "bounded":
        d["depth"] = v.depth
        d["reason"] = v.reason
        if v.cti is not None:
            d["counterexample_to_induction"] = {"states": len(v.cti.states),
                                                "actions": [repr(a) for a in v.cti.actions]}
    else:
        d["reason"] = v.reason
    return d


def _run_dict(proof, m) -> dict[str, Any]:
    return {"machine": proof.machine, "preset": proof.preset, "mutant": proof.mutant, "k": proof.k,
            "depth": proof.depth, "elapsed_s": round(proof.elapsed, 4), "encoding": proof.encoding, "note": proof.note,
            "parameters": m.parameter_values()}


def _print_runs(console: Console, runs: list[dict[str, Any]]) -> None:
    """What each machine proof holds for: its parameters (a proof by k-induction is a proof for
    these values only; a counting lemma says when one holds for every value)."""
    for r in runs:
        label = r["machine"] + (f" [mutant {r['mutant']}]" if r["mutant"] else "")
        values = ", ".join(f"{k}={v}" for k, v in r["parameters"].items() if k != "preset")
        wide = r["encoding"].get("width_bits") if r["encoding"].get("route") == "wide" else None
        over = f", over {wide}-bit vectors" if wide else ""
        console.print(escape(f"{label}: for preset {r['preset']} only ({values or 'no parameters'}){over}"))


def _print_ctis(console: Console, items, files: dict[str, str]) -> None:
    """Each property whose induction step fails: the counterexample to induction, state by state,
    and what to do about it."""
    for i in items:
        cti = getattr(i.verdict, "cti", None)
        if cti is None:
            continue
        console.print(f"[yellow]{escape(i.name)} is not inductive[/]: k-induction (k={len(cti.states) - 1}) "
                      f"fails from these {len(cti.states)} states; the first {len(cti.states) - 1} satisfy every "
                      f"property assumed, the last breaks {escape(i.name.split('.', 1)[1])}, and none need be "
                      f"reachable:")
        view = _viewer(cti)
        for n, st in enumerate(cti.states):
            head = f"  state {n}" + (f" <- {cti.actions[n - 1]!r}" if n else "")
            console.print(escape(f"{head}: {view(st)}"), markup=False)
        where = f" (ITF: {files[i.name + '.cti']})" if i.name + ".cti" in files else ""
        console.print(escape(f"  an auxiliary invariant that is false in state 0 but true in every reachable state "
                             f"rules this out: declare it with @always(..., aux=True){where}"))


def _viewer(trace):
    try:
        view = build(trace.machine, trace.preset, trace.mutant, dict(trace.overrides)).view
    except UsageError:
        return repr
    return lambda s: ", ".join(f"{k}={v!r}" for k, v in view(s).items())


def _to_json(items, runs, files, crosscheck_failures) -> dict[str, Any]:
    return {
        "tool": "paraspec",
        "command": "prove",
        "ok": all(i.ok for i in items) and not crosscheck_failures,
        "crosscheck_mismatches": crosscheck_failures,
        "runs": runs,
        "items": [
            {"engine": i.engine, "name": i.name, "kind": i.kind, "rules": list(i.rules), "machine": i.machine,
             "preset": i.preset, "mutant": i.mutant, "expect_proof": i.expect_proof, "ok": i.ok,
             "elapsed_s": round(i.elapsed, 4), "verdict": _verdict_dict(i.verdict), "trace_file": files.get(i.name),
             "doc": i.doc}
            for i in items
        ],
    }


def _write_junit(path: str, items) -> None:
    suites = ET.Element("testsuites", name="paraspec prove")
    groups: dict[str, list] = {}
    for i in items:
        key = "lemmas" if i.engine == "lemma" and i.machine is None else (
            f"{i.machine}" + (f"[mutant={i.mutant}]" if i.mutant else "") + (f"@{i.preset}" if i.preset else ""))
        groups.setdefault(key, []).append(i)
    for key, its in groups.items():
        suite = ET.SubElement(suites, "testsuite", name=key, tests=str(len(its)),
                              failures=str(sum(1 for i in its if not i.ok)),
                              time=f"{sum(i.elapsed for i in its):.3f}")
        for i in its:
            case = ET.SubElement(suite, "testcase", classname=key, name=i.name, time=f"{i.elapsed:.3f}")
            if not i.ok:
                f = ET.SubElement(case, "failure", message=f"{i.verdict}", type=i.status)
                f.text = f"rules: {', '.join(i.rules) or '-'}; {i.doc}"
    ET.indent(suites)
    atomic_write(path, ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n")


def _write_traces(trace_dir: Path, items, staged) -> dict[str, str]:
    from .. import itf

    try:
        trace_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--trace-dir {trace_dir}: {e.strerror or e}") from None
    files = {}
    for i in items:
        v = i.verdict
        cti = getattr(v, "cti", None)
        if cti is not None:
            path = trace_dir / f"{i.name}.cti.itf.json"
            staged.write(path, itf.render(cti, None, f"counterexample to induction for {i.name} "
                                                     f"({', '.join(i.rules)}); its first state need not be "
                                                     f"reachable: {i.doc}"))
            files[i.name + ".cti"] = str(path)
        if v.status != "counterexample" or v.trace is None:
            continue
        path = trace_dir / f"{i.name}.symbolic.counterexample.itf.json"
        staged.write(path, itf.render(v.trace, None, f"symbolic counterexample for {i.name} "
                                                     f"({', '.join(i.rules)}): {i.doc}"))
        files[i.name] = str(path)
    return files
