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
from ._progress import Progress, print_done


def register(sub) -> None:
    p = sub.add_parser("check", help="explore machines exhaustively (or by simulation) and check their properties",
                       description="Explore machines breadth-first (shortest counterexamples) or by seeded "
                                   "random simulation, and report every property's verdict.")
    p.add_argument("machines", nargs="*", metavar="MACHINE", help="machines to check (default: all)")
    _args.add_preset(p)
    p.add_argument("--max-depth", type=_args.positive_int, metavar="N", help="stop exploring below depth N")
    p.add_argument("--max-states", type=_args.positive_int, metavar="N", help="stop after N distinct states")
    p.add_argument("--time-limit", type=_args.positive_float, metavar="S", help="stop each search after S seconds")
    p.add_argument("--property", action="append", default=[], metavar="NAME",
                   help="check only the properties matching NAME (a property name, MACHINE.NAME, or a glob "
                        "such as 'delivered_*'; repeatable); a NAME matching none is an error (exit 2)")
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
                   help="explore one state per orbit of the machine's declared symmetry (validators, paras); "
                        "a named machine that declares none is refused, and of all machines those without "
                        "one are searched in full, each saying so")
    p.add_argument("--workers", type=_args.positive_int, default=1, metavar="N",
                   help="worker processes expanding the frontier (default 1)")
    p.add_argument("--jobs", type=_args.positive_int, default=None, metavar="N",
                   help="runs (machines, mutants) checked at once, each in a process of its own; the report "
                        "and the verdicts are those of one process (default: one per CPU when there is more "
                        "than one run, 1 with --ray, --workers or --checkpoint/--resume)")
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
    p.add_argument("--manifest", metavar="FILE",
                   help="compare every run that matches a pin of FILE (machine, preset, reading, --set values) "
                        "with its pinned states, transitions, depth, rejecting rules and verdicts; a difference "
                        "fails the check (exit 1), one line naming the pin (docs/guide.md)")
    p.add_argument("--json", metavar="FILE", help="write the report as JSON")
    p.add_argument("--junit", metavar="FILE", help="write the report as JUnit XML")
    p.add_argument("--trace-dir", metavar="DIR", help="write counterexamples (and witnesses) as ITF traces")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display and no table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..distributed.options import split_ray_arg

    split_ray_arg(args, "machines")
    load_all()
    overrides = _args.overrides_of(args)
    trace_dir, ckpt_root = _check_paths(args)
    names = args.machines or machine_names()
    for n in names:
        get_machine_class(n)  # unknown machine: one line, exit 2
    if args.preset is not None:  # a preset a selected machine does not define: one line, exit 2
        _args.check_preset(args.preset, names)
    jobs = _jobs(args, names)
    pins = _manifest_pins(args)
    selected = select_properties(args.property, sorted({m for m, _ in jobs}))
    if args.property and args.all_mutants:  # the mutants that some selected property must kill
        from paraspec.properties.core import MUTANTS

        jobs = [(m, mu) for m, mu in jobs if mu in args.mutant
                or {p.name for p in selected[m]} & set(MUTANTS[mu].kills)]

    if args.symmetry and args.machines:
        _named_symmetry(args, overrides)
    console = Console(stderr=False, width=None if Console().is_terminal else 160)
    if args.ray is not None:
        from ..distributed.cli import start

        start(args)
    n_jobs = _jobs_at_once(args, ckpt_root, len(jobs))
    if n_jobs > 1:
        t0 = time.perf_counter()
        results = _run_parallel(args, console, jobs, selected, overrides, ckpt_root, n_jobs, pins)
        code = _report(args, console, results, trace_dir, (n_jobs, time.perf_counter() - t0))
        return code if pins is None else _manifest_verdict(args, console, pins, results, code)
    results: list[Result] = []
    for machine_name, mutant_name, machine, label in _prepare_runs(args, console, jobs, overrides):
        progress = None if args.quiet else Progress(console, label)
        update = None if progress is None else progress.update
        if progress is not None:
            progress.start()
        try:
            props = selected[machine_name]
            if args.simulate:
                result = _simulate_one(args, machine, props, update)
            else:
                result = _search_one(args, machine, props, mutant_name, ckpt_root, update)
        finally:
            if progress is not None:
                progress.stop()
        if progress is not None and len(jobs) > 1 and not args.all_mutants:
            for one in (result if isinstance(result, list) else [result]):
                print_done(console, one)
        results.extend(result if isinstance(result, list) else [result])
    code = _report(args, console, results, trace_dir)
    return code if pins is None else _manifest_verdict(args, console, pins, results, code)


def _jobs_at_once(args: argparse.Namespace, ckpt_root: str | None, runs: int) -> int:
    """How many runs ``--jobs`` checks at once (its default: one per CPU, at most the runs)."""
    if args.jobs is None:
        if args.ray is not None or args.workers > 1 or ckpt_root is not None:
            return 1
        from ..jobs import auto_jobs

        return auto_jobs(runs)
    if args.jobs > 1 and args.ray is not None:
        raise UsageError("--jobs and --ray: Ray spreads the work itself (use --ray-workers)")
    if args.jobs > 1 and ckpt_root is not None:
        raise UsageError("--jobs and --checkpoint/--resume: checkpointed runs are checked one at a time "
                         "(use --jobs 1)")
    return min(args.jobs, max(runs, 1))


def _prepare_runs(args: argparse.Namespace, console: Console, jobs: list, overrides: dict) -> list[tuple]:
    """Every run's (machine name, mutant, built machine, label), the not-applicable mutants of
    ``--all-mutants`` left out (with their note); with ``--symmetry``, a machine that declares none
    says that it is explored in full."""
    runs = []
    for machine_name, mutant_name in jobs:
        machine = _build_job(args, console, machine_name, mutant_name, overrides)
        if machine is None:
            continue
        label = machine_name + (f" [mutant {mutant_name}]" if mutant_name else "") + f" @ {machine.preset}"
        if args.symmetry and getattr(machine, "symmetry", None) is None and not args.quiet:
            # every machine asked for (none named): the ones without a symmetry are searched in full, and say so
            console.print(escape(f"{label}: declares no symmetry, explored in full (--symmetry reduces "
                                 f"the machines that declare one)"))
        runs.append((machine_name, mutant_name, machine, label))
    return runs


def _run_parallel(args: argparse.Namespace, console: Console, jobs: list, selected: dict, overrides: dict,
                  ckpt_root: str | None, n_jobs: int, pins=None) -> list[Result]:
    """The runs of ``jobs`` on ``n_jobs`` worker processes (checker/jobs.py): the same searches,
    the results in the same order as one process gives them. With ``--manifest``, the runs it pins
    start largest first (by pinned transitions), so the longest search does not start last."""
    from ..jobs import run_jobs
    from ._progress import MultiProgress

    runs = _prepare_runs(args, console, jobs, overrides)
    if not runs:
        return []

    def run_one(i: int, update) -> Result | list[Result]:
        machine_name, mutant_name, machine, _ = runs[i]
        props = selected[machine_name]
        if args.simulate:
            return _simulate_one(args, machine, props, update)
        return _search_one(args, machine, props, mutant_name, ckpt_root, update)

    if pins:
        def pinned(run) -> int:
            params = run[2].parameter_values()
            return max((p.transitions for p in pins if run[1] is None and p.machine == run[0]
                        and p.parameters == params and p.symmetry == bool(args.symmetry)), default=0)

        order = sorted(range(len(runs)), key=lambda i: -pinned(runs[i]))  # stable: the rest keep their order
        runs = [runs[i] for i in order]
    else:
        order = list(range(len(runs)))
    labels = [r[3] for r in runs]
    progress = None if args.quiet else MultiProgress(console, labels)
    show_done = progress is not None and len(jobs) > 1 and not args.all_mutants

    def done(i: int, result) -> None:
        if progress is not None:
            progress.done(i)
        if show_done:
            for one in (result if isinstance(result, list) else [result]):
                print_done(console, one)

    try:
        got = run_jobs(n_jobs, labels, [selected[r[0]] for r in runs], run_one,
                       None if progress is None else progress.update, done,
                       None if progress is None else progress.start)
    finally:
        if progress is not None:
            progress.stop()
    back = [None] * len(got)
    for k, i in enumerate(order):
        back[i] = got[k]
    results: list[Result] = []
    for one in back:
        results.extend(one if isinstance(one, list) else [one])
    return results


def _manifest_pins(args: argparse.Namespace):
    """The pins of ``--manifest`` (None without it), read before any search: a bad file is one line,
    exit 2. Simulation does not give the figures a manifest pins; a ``--symmetry`` run is compared with
    the pins marked ``symmetry = true`` (and a machine without a declared symmetry, explored in full,
    with its plain pins)."""
    if not getattr(args, "manifest", None):
        return None
    if args.simulate:
        raise UsageError("--manifest: --simulate does not explore the full space a manifest pins")
    from ..manifest import load

    return load(args.manifest)


def _manifest_verdict(args: argparse.Namespace, console: Console, pins, results: list[Result], code: int) -> int:
    """Compare the runs with the pins they match: one line per pin a run differs from (exit 1)."""
    from ..manifest import verify

    matched, failures = verify(pins, results, args.manifest)
    if not args.quiet:
        console.print(f"manifest {escape(args.manifest)}: {matched} of {len(results)} run(s) match a pin"
                      + ("" if failures else ", all as pinned"))
    for line in failures:
        print(line, flush=True)
    return 1 if failures else code


def select_properties(patterns: list[str], machines: list[str]) -> dict[str, list]:
    """The properties of each machine that ``--property`` selects (all without it): a pattern is
    a glob over the property's name and its ``machine.name``. A pattern matching no property of
    the selected machines is a usage error (one line, exit 2)."""
    from fnmatch import fnmatchcase

    out = {m: properties_of(m) for m in machines}
    if not patterns:
        return out
    for pat in patterns:
        if not any(fnmatchcase(p.name, pat) or fnmatchcase(p.qualified, pat) for ps in out.values() for p in ps):
            known = ", ".join(p.qualified for ps in out.values() for p in ps)
            raise UsageError(f"--property {pat}: no property of the selected machines matches "
                             f"(their properties: {known or 'none'})")
    return {m: [p for p in ps if any(fnmatchcase(p.name, pat) or fnmatchcase(p.qualified, pat)
                                     for pat in patterns)] for m, ps in out.items()}


def mutant_verdict(mut, violated: dict[str, int], checked: set[str] | None = None) -> str:
    """``killed by P in k steps`` or ``survived``, from the steps of the shortest violation of
    each property (``violated``: name -> steps) and the properties the mutant must break
    (``checked``: the properties the run checked, when ``--property`` selected some)."""
    hit = sorted((violated[k], k) for k in mut.kills if k in violated)
    missing = [k for k in mut.kills if k not in violated]
    if hit and not missing:
        steps, name = hit[0]
        return f"killed by {name} in {steps} step{'s' if steps != 1 else ''}"
    unchecked = [k for k in missing if checked is not None and k not in checked]
    if unchecked:
        return f"not decided ({', '.join(unchecked)} not checked: see --property)"
    return f"survived ({', '.join(missing)} not violated)"


def _build_job(args: argparse.Namespace, console: Console, machine_name: str, mutant_name: str | None,
               overrides: dict):
    """The machine of one run; ``None`` (with a note) for a mutant of ``--all-mutants`` whose own
    overrides select a reading of its rule that ``--reading`` excludes (such a mutant mutates a rule
    that reading does not have, CFG-D5)."""
    own = dict(get_mutant(mutant_name).overrides) if mutant_name else {}
    why = None
    if "reading" in own and "reading" in overrides and own["reading"] != overrides["reading"]:
        why = f"it mutates a rule of reading={own['reading']} only"
    else:
        try:
            return build(machine_name, args.preset, mutant_name, overrides)
        except UsageError as e:
            if not (mutant_name and "reading" in overrides and "contradicts reading" in str(e)):
                raise
            why = f"its own overrides: {e}"
    if not args.all_mutants:
        raise UsageError(f"--mutant {mutant_name}: not applicable under reading={overrides['reading']} ({why})")
    if not args.quiet:
        console.print(escape(f"mutant {mutant_name}: not applicable under reading={overrides['reading']} ({why})"))
    return None


def _named_symmetry(args: argparse.Namespace, overrides: dict) -> None:
    """``--symmetry`` on a machine named on the command line that declares no symmetry is refused
    before any search (one line, exit 2): the reduction asked for cannot be applied to it."""
    plain = [n for n in dict.fromkeys(args.machines)
             if getattr(build(n, args.preset, None, overrides), "symmetry", None) is None]
    if plain:
        raise UsageError(f"--symmetry: {', '.join(plain)} declare{'s' if len(plain) == 1 else ''} no symmetry, "
                         f"so the reduction cannot be applied; check {'it' if len(plain) == 1 else 'them'} "
                         f"without --symmetry")


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


def _ray_checkpoint(args: argparse.Namespace, sub: Path) -> bool:
    """Whether ``sub`` holds a Ray checkpoint (one file per partition), which only --ray resumes."""
    from ..distributed.checkpoint import local_resume_problem, present

    if args.ray is None and local_resume_problem(sub):
        raise UsageError(local_resume_problem(sub))
    return present(sub)


def _search_one(args: argparse.Namespace, machine, props, mutant_name: str | None, ckpt_root: str | None,
                update) -> Result:
    checker = (Checker(machine).with_properties(props).with_max_depth(args.max_depth)
               .with_max_states(args.max_states).with_time_limit(args.time_limit)
               .with_progress(update).with_symmetry(args.symmetry).with_workers(args.workers))
    engine = args.engine
    if ckpt_root is not None:
        sub = Path(ckpt_root) / (machine.name + (f".{mutant_name}" if mutant_name else ""))
        checker = checker.with_checkpoint(str(sub), args.checkpoint_every)
        if args.resume and (checkpoint_present(sub) or _ray_checkpoint(args, sub)):
            checker = checker.with_resume(str(sub))
        if engine == "vector":
            raise UsageError("--engine vector: checkpoints are kept by the explicit engine")
        engine = "explicit"
    if checker.symmetry_refusal() is not None:
        raise UsageError(checker.symmetry_refusal())
    if mutant_name and not args.keep_going:
        names = {p.name for p in props}
        kills = [k for k in get_mutant(mutant_name).kills if k in names]
        # the properties it must break, or (when --property selects none of them) any one
        checker = checker.with_stop_on_violation(kills or True)
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


def _report(args: argparse.Namespace, console: Console, results: list[Result], trace_dir: Path | None,
            parallel: tuple[int, float] | None = None) -> int:
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
        wall = "" if parallel is None else f" of search, {parallel[1]:.1f}s wall with {parallel[0]} at once"
        console.print(f"{len(results)} run(s), {total:,} states, {secs:.1f}s{wall}: "
                      + ("[green]all properties hold[/]" if ok else f"[red]{len(bad)} failing[/]"))
        _print_errors(console, results)
        _print_mutants(console, results)
    if not ok:  # the last line of a failing run names what failed and why (checker/explain.py)
        from ..explain import failing_line

        print(failing_line(results), flush=True)
    return 0 if ok else 1


def _print_errors(console: Console, results: list[Result]) -> None:
    for r in results:
        e = r.error
        if e is None:
            continue
        if e.property is not None:
            text = f"property error in {r.machine}.{e.property}: {e.message}" + (f" ({e.where})" if e.where else "")
        else:
            text = f"model error in {r.machine}: {e.message}" + (f" ({e.where})" if e.where else "")
        console.print("[red]" + escape(text) + "[/]")


def _violations(r: Result) -> dict[str, int]:
    """name -> steps of the counterexample, for every violated property of ``r``."""
    return {p.property.name: (len(p.trace) if p.trace is not None else 0)
            for p in r.properties if p.verdict == Verdict.VIOLATED}


def _print_mutants(console: Console, results: list[Result]) -> None:
    from paraspec.properties.core import MUTANTS

    for r in results:
        if r.mutant is not None:
            text = mutant_verdict(MUTANTS[r.mutant], _violations(r), {p.property.name for p in r.properties})
            style = "green" if text.startswith("killed") else "bold red"
            console.print(f"mutant {escape(r.mutant)}: [{style}]{escape(text)}[/]")


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
        for col in ("mutant", "machine", "must be caught by", "states", "verdict"):
            t.add_column(col)
        for r in results:
            mut = MUTANTS[r.mutant]
            killed = not any(x[0] is r for x in survivors)
            text = (mutant_verdict(mut, _violations(r), {p.property.name for p in r.properties})
                    if killed or r.error is None else f"model error: {r.error.message}")
            t.add_row(r.mutant, r.machine, ", ".join(mut.kills), f"{r.states:,}",
                      f"[green]{escape(text)}[/]" if killed else f"[bold red]{escape(text)}[/]")
        console.print(t)
        console.print(f"{len(results) - len(survivors)}/{len(results)} mutants killed")
    if survivors:
        from ..explain import survivors_line

        print(survivors_line(survivors), flush=True)
    return 0 if not survivors else 1
