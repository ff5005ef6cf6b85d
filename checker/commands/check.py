"""``paraspec check``: explore machines and report every property's verdict."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ..checkpoint import present as checkpoint_present
from ..explicit import Checker
from ..results import CheckpointMismatch, EngineUnavailable, Result, Verdict
from ..registry import (
    UsageError,
    build,
    get_machine_class,
    get_mutant,
    load_all,
    machine_names,
    properties_of,
)
from ..outputs import Staged
from ..report import atomic_write, json_text, print_table, write_junit
from ..simulate import simulate
from . import _args


def register(sub) -> None:
    p = sub.add_parser("check", help="explore machines exhaustively (or by simulation) and check their properties",
                       description="Explore machines breadth-first (shortest counterexamples) or by seeded "
                                   "random simulation, and report every property's verdict.")
    p.add_argument("machines", nargs="*", metavar="MACHINE", help="machines to check (default: all)")
    _args.add_preset(p)
    p.add_argument("--max-depth", type=_args.positive_int, metavar="N", help="stop exploring below depth N")
    p.add_argument("--max-states", type=_args.positive_int, metavar="N", help="stop after N distinct states")
    p.add_argument("--time-limit", type=_args.positive_float, metavar="S", help="stop each search after S seconds")
    p.add_argument("--mutant", action="append", default=[], metavar="NAME",
                   help="check a deliberately wrong variant of the model (repeatable); exits 1 when caught")
    p.add_argument("--all-mutants", action="store_true",
                   help="check every mutant of the selected machines; exits 0 only if each is caught by "
                        "the properties it names")
    p.add_argument("--continue", dest="keep_going", action="store_true",
                   help="with --mutant: keep exploring after the mutant's properties are violated")
    p.add_argument("--simulate", action="store_true", help="random walks instead of exhaustive search")
    p.add_argument("--seed", type=_args.nonneg_int, default=0, metavar="S", help="simulation seed (default 0)")
    p.add_argument("--seeds", type=_args.positive_int, default=1, metavar="K",
                   help="simulation: run seeds S..S+K-1, one report row each (in parallel with --ray)")
    p.add_argument("--steps", type=_args.positive_int, default=100_000, metavar="K",
                   help="simulation: total steps (default 100000)")
    p.add_argument("--walk-depth", type=_args.positive_int, default=200, metavar="D",
                   help="simulation: steps per walk (default 200)")
    p.add_argument("--symmetry", action="store_true",
                   help="explore one state per orbit of the machine's declared symmetry (validators, paras)")
    p.add_argument("--workers", type=_args.positive_int, default=1, metavar="N",
                   help="worker processes expanding the frontier (default 1)")
    p.add_argument("--engine", choices=("auto", "explicit", "vector"), default="auto",
                   help="search engine: explicit (state by state), vector (numpy batches, for machines that "
                        "declare vectorized rules), auto (vector when possible; default)")
    p.add_argument("--checkpoint", metavar="DIR",
                   help="save the search state in DIR (every --checkpoint-every seconds and at the end)")
    p.add_argument("--checkpoint-every", type=_args.positive_float, default=30.0, metavar="S",
                   help="seconds between checkpoints (default 30)")
    p.add_argument("--resume", metavar="DIR", help="continue the search saved in DIR (and keep saving there)")
    from ..distributed.options import add_ray_args

    add_ray_args(p, "search (or simulate)")
    p.add_argument("--json", metavar="FILE", help="write the report as JSON")
    p.add_argument("--junit", metavar="FILE", help="write the report as JUnit XML")
    p.add_argument("--trace-dir", metavar="DIR", help="write counterexamples (and witnesses) as ITF traces")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display and no table")
    p.set_defaults(func=run)


def _progress(console: Console, label: str):
    if not console.is_terminal:
        return None, None
    status = console.status(f"{label}: starting")

    def update(states: int, depth: int, elapsed: float) -> None:
        rate = states / elapsed if elapsed > 0 else 0.0
        status.update(f"{label}: {states:,} states, depth {depth}, {rate:,.0f} states/s")

    return status, update


def run(args: argparse.Namespace) -> int:
    from ..distributed.options import split_ray_arg

    split_ray_arg(args, "machines")
    load_all()
    overrides = _args.parse_sets(args.set)
    trace_dir, ckpt_root = _check_paths(args)
    names = args.machines or machine_names()
    for n in names:
        get_machine_class(n)  # unknown machine: one line, exit 2
    if args.preset is not None:  # a preset a selected machine does not define: one line, exit 2
        _args.check_preset(args.preset, names)
    jobs = _jobs(args, names)

    console = Console(stderr=False, width=None if Console().is_terminal else 160)
    if args.ray is not None:
        from ..distributed.cli import start

        start(args)
    results: list[Result] = []
    for machine_name, mutant_name in jobs:
        machine = build(machine_name, args.preset, mutant_name, overrides)
        label = escape(machine_name + (f" [mutant {mutant_name}]" if mutant_name else "") + f" @ {machine.preset}")
        status, update = (None, None) if args.quiet else _progress(console, label)
        if status is not None:
            status.start()
        try:
            props = properties_of(machine_name)
            if args.simulate:
                result = _simulate_one(args, machine, props, update)
            else:
                result = _search_one(args, machine, props, mutant_name, ckpt_root, update)
        finally:
            if status is not None:
                status.stop()
        results.extend(result if isinstance(result, list) else [result])
    return _report(args, console, results, trace_dir)


def _check_paths(args: argparse.Namespace) -> tuple[Path | None, str | None]:
    """The output, trace and checkpoint paths, checked before any search: (trace directory,
    checkpoint root)."""
    if args.checkpoint and args.resume and Path(args.checkpoint) != Path(args.resume):
        raise UsageError("--checkpoint and --resume name different directories")
    ckpt_root = args.resume or args.checkpoint
    if ckpt_root is not None and args.simulate:
        raise UsageError("--checkpoint/--resume: simulation is not checkpointed")
    trace_dir = _args.check_outputs(args)
    return trace_dir, ckpt_root


def _jobs(args: argparse.Namespace, names: list[str]) -> list[tuple[str, str | None]]:
    """(machine, mutant or None) of every run asked for."""
    if not (args.mutant or args.all_mutants):
        return [(n, None) for n in names]
    from paraspec.properties.core import MUTANTS

    chosen = [get_mutant(m) for m in args.mutant]
    if args.all_mutants:
        chosen += [m for m in MUTANTS.values() if m.machine in names and m not in chosen]
    if args.machines and args.mutant:
        for m in chosen:
            if m.machine not in names:
                raise UsageError(f"--mutant {m.name}: belongs to machine {m.machine!r}, not selected")
    return [(m.machine, m.name) for m in chosen]


def _simulate_one(args: argparse.Namespace, machine, props, update) -> Result:
    if args.ray is not None:
        from ..distributed.cli import simulate_seeds

        return simulate_seeds(args, machine, props)
    if args.seeds > 1:
        return [_simulate_one(_args.with_seed(args, args.seed + k), machine, props, update) for k in range(args.seeds)]
    safety = [p for p in props if p.kind.value in ("always", "transition", "sometimes")]
    why_not = None if args.engine == "explicit" else Checker(machine).with_properties(safety).vector_unsupported()
    if args.engine == "vector" and why_not is not None:
        raise UsageError("--engine vector: " + why_not)
    if args.engine != "explicit" and why_not is None:
        from ..vsimulate import simulate_vector

        return simulate_vector(machine, props, seed=args.seed, steps=args.steps, walk_depth=args.walk_depth,
                               time_limit=args.time_limit)
    return simulate(machine, props, seed=args.seed, steps=args.steps, walk_depth=args.walk_depth,
                    time_limit=args.time_limit, progress=update)


def _search_one(args: argparse.Namespace, machine, props, mutant_name: str | None, ckpt_root: str | None,
                update) -> Result:
    checker = (Checker(machine).with_properties(props).with_max_depth(args.max_depth)
               .with_max_states(args.max_states).with_time_limit(args.time_limit)
               .with_progress(update).with_symmetry(args.symmetry).with_workers(args.workers))
    engine = args.engine
    if ckpt_root is not None:
        sub = Path(ckpt_root) / (machine.name + (f".{mutant_name}" if mutant_name else ""))
        checker = checker.with_checkpoint(str(sub), args.checkpoint_every)
        if args.resume and checkpoint_present(sub):
            checker = checker.with_resume(str(sub))
        if engine == "vector":
            raise UsageError("--engine vector: checkpoints are kept by the explicit engine")
        engine = "explicit"
    if mutant_name and not args.keep_going:
        checker = checker.with_stop_on_violation(get_mutant(mutant_name).kills)
    try:
        if args.ray is not None:
            from ..distributed.cli import search

            return search(args, checker, engine)
        checker = checker.with_engine(engine)
        if engine == "vector":
            checker.chosen_engine()
        return checker.run()
    except CheckpointMismatch as e:
        raise UsageError(str(e)) from None
    except EngineUnavailable as e:
        raise UsageError(f"--engine: {e}") from None


def _report(args: argparse.Namespace, console: Console, results: list[Result], trace_dir: Path | None) -> int:
    # the traces are written to temporaries, then the report, then the traces are renamed into
    # place: a kill never leaves traces without their report
    with Staged() as staged:
        trace_files: dict[tuple, dict[str, str]] = {}
        if trace_dir is not None:
            trace_files = _write_traces(trace_dir, results, staged)
        if not args.quiet and not args.all_mutants:
            print_table(results, console)
        if args.json:
            atomic_write(args.json, json_text(results, trace_files))
        if args.junit:
            write_junit(args.junit, results)
        staged.commit()

    if args.all_mutants:
        return _mutant_summary(console, results, quiet=args.quiet)
    ok = all(r.ok for r in results)
    if not args.quiet:
        total = sum(r.states for r in results)
        secs = sum(r.elapsed for r in results)
        bad = [f"{r.machine}.{p.property.name}" for r in results for p in r.properties if not p.ok]
        console.print(f"{len(results)} run(s), {total:,} states, {secs:.1f}s: "
                      + ("[green]all properties hold[/]" if ok else f"[red]{len(bad)} failing[/]"))
        for r in results:
            if r.error is not None:
                console.print("[red]" + escape(f"model error in {r.machine}: {r.error.message}") + "[/]")
    return 0 if ok else 1


def _write_traces(trace_dir: Path, results: list[Result], staged: Staged) -> dict[tuple, dict[str, str]]:
    from .. import itf
    from ..registry import get_machine_class as _cls

    try:
        trace_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--trace-dir {trace_dir}: {e.strerror or e}") from None
    files: dict[tuple, dict[str, str]] = {}
    for r in results:
        view = None
        try:
            machine = build(r.machine, r.preset, r.mutant)
            view = machine.view
        except UsageError:
            view = None
        stem = r.machine + (f".{r.mutant}" if r.mutant else "")
        for pr in r.properties:
            if pr.trace is None:
                continue
            if pr.verdict not in (Verdict.VIOLATED, Verdict.WITNESSED):
                continue
            kind = "counterexample" if pr.verdict == Verdict.VIOLATED else "witness"
            path = trace_dir / f"{stem}.{pr.property.name}.{kind}.itf.json"
            staged.write(path, itf.render(pr.trace, view, f"{kind} for {r.machine}.{pr.property.name} "
                                                          f"({', '.join(pr.property.rules)}): {pr.property.doc}"))
            files.setdefault((r.machine, r.mutant), {})[pr.property.name] = str(path)
        if r.error is not None and r.error.trace is not None:
            path = trace_dir / f"{stem}.model_error.itf.json"
            staged.write(path, itf.render(r.error.trace, view, f"model error: {r.error.message}"))
    del _cls
    return files


def _mutant_summary(console: Console, results: list[Result], quiet: bool) -> int:
    from paraspec.properties.core import MUTANTS

    survivors = []
    for r in results:
        mut = MUTANTS[r.mutant]
        violated = {p.property.name for p in r.properties if p.verdict == Verdict.VIOLATED}
        missing = [k for k in mut.kills if k not in violated]
        if missing or r.error is not None:
            survivors.append((r, missing))
    if not quiet:
        from rich.table import Table

        t = Table(title="mutants")
        for col in ("mutant", "machine", "caught by", "shortest trace", "states", "verdict"):
            t.add_column(col)
        for r in results:
            mut = MUTANTS[r.mutant]
            lengths = [len(p.trace) for p in r.properties
                       if p.property.name in mut.kills and p.trace is not None and p.verdict == Verdict.VIOLATED]
            killed = not any(x[0] is r for x in survivors)
            t.add_row(r.mutant, r.machine, ", ".join(mut.kills), str(min(lengths)) if lengths else "-",
                      f"{r.states:,}", "[green]killed[/]" if killed else "[bold red]survived[/]")
        console.print(t)
        console.print(f"{len(results) - len(survivors)}/{len(results)} mutants killed")
    return 0 if not survivors else 1
