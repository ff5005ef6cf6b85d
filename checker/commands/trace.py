"""``paraspec trace show|replay FILE.itf.json``."""

from __future__ import annotations

import argparse

import json
import sys
from typing import Any

import attrs
from rich.console import Console
from rich.markup import escape

from .. import itf
from ..codec import CodecError, decode, field_types
from ..registry import UsageError, build
from ..timeline import ACTION_VARS, fmt


SHOW_EXAMPLE = """examples:
  paraspec trace show out/                                     # every *.itf.json in out/, one after another
  paraspec trace show out/halts.hlt_cluster_off_by_one.*.counterexample.itf.json
  paraspec trace show out/x.itf.json --html x.html             # a self-contained HTML timeline"""
REPLAY_EXAMPLE = """examples:
  paraspec trace replay out/                                   # every paraspec trace in out/
  paraspec trace replay out/a.itf.json out/b.itf.json
  paraspec run checker/scenarios/availability_tiny.json --trace t.itf.json && paraspec trace replay t.itf.json"""


def register(sub) -> None:
    import argparse

    p = sub.add_parser("trace", help="render or replay ITF traces",
                       description="Render ITF traces (written by `paraspec check --trace-dir`, Quint or Apalache) "
                                   "step by step, or re-execute paraspec's traces on the model.",
                       epilog=SHOW_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    tsub = p.add_subparsers(dest="trace_command", metavar="ACTION")
    tsub.required = True
    s = tsub.add_parser("show", help="render ITF traces (paraspec's, Quint's or Apalache's) readably",
                        description="Print each trace state by state: the action taken and the variables it "
                                    "changed (a directory stands for the *.itf.json files in it). Instant.",
                        epilog=SHOW_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("files", nargs="+", metavar="FILE.itf.json|DIR")
    s.add_argument("--full", action="store_true", help="print every variable of every state, not only changes")
    s.add_argument("--html", metavar="OUT.html", help="write a self-contained HTML timeline instead (one trace; "
                                                     "with several or a directory, OUT.html is a directory of "
                                                     "pages)")
    s.set_defaults(func=show)
    r = tsub.add_parser("replay", help="re-execute paraspec traces on the model and compare every state",
                        description="Rebuild each trace's machine (machine, preset, mutant and --set overrides "
                                    "from #meta), re-execute every step and compare every state; exit 1 naming the "
                                    "first trace and step that differ. A second or so per trace.",
                        epilog=REPLAY_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("files", nargs="+", metavar="FILE.itf.json|DIR")
    r.set_defaults(func=replay)


def expand_files(items: list[str]) -> list[str]:
    """The trace files named: a directory stands for its ``*.itf.json`` files (sorted); a directory with
    none is a usage error."""
    from pathlib import Path

    from ..outputs import dir_problem

    out: list[str] = []
    for item in items:
        p = Path(item)
        problem = dir_problem(item)
        if problem not in (None, "no such directory", "not a directory"):  # a name the system refuses
            raise UsageError(f"{item}: {problem}")
        if problem is None:
            found = sorted(str(f) for f in p.glob("*.itf.json"))
            if not found:
                raise UsageError(f"{item}: a directory with no *.itf.json files")
            out += found
        else:
            out.append(item)
    return out


def _load_raw(path: str) -> tuple[Any, itf.ItfTrace]:
    """The file's JSON and the checked trace; a malformed file is a UsageError."""
    try:
        raw = itf.read_raw(path)
        return raw, itf.parse(raw, path)
    except itf.ItfError as e:
        raise UsageError(f"malformed ITF: {e}") from None


def _load(path: str) -> itf.ItfTrace:
    return _load_raw(path)[1]


def _as_json(v: Any) -> Any:
    """A value decoded from ITF (:func:`itf.decode_value`) in the JSON form of the typed codec
    (:mod:`checker.codec`), so it can be decoded by the attrs field types of an action class."""
    if isinstance(v, dict):
        if set(v) == {"tag", "value"} and v["tag"] == "None" and v["value"] == ():
            return None
        if all(isinstance(k, str) for k in v):
            return {k: _as_json(x) for k, x in v.items()}
        return [[_as_json(k), _as_json(x)] for k, x in v.items()]
    if isinstance(v, (tuple, list, frozenset)):
        return [_as_json(x) for x in v]
    return v


def decode_action(cls: type, picks: Any, where: str) -> Any:
    """The action ``cls`` from the ITF parameters ``picks`` (decoded), each decoded by the
    type of its attrs field; a missing, unknown or mistyped field is a UsageError naming it."""
    if not isinstance(picks, dict):
        raise UsageError(f"{where}: must be an object of {cls.__name__}'s fields")
    hints = field_types(cls)
    unknown = [k for k in picks if k not in hints]
    if unknown:
        raise UsageError(f"{where}.{unknown[0]}: not a field of {cls.__name__} "
                         f"(its fields: {', '.join(hints) or 'none'})")
    kwargs = {}
    for f in attrs.fields(cls):
        if f.name not in picks:
            if f.default is attrs.NOTHING:
                raise UsageError(f"{where}.{f.name}: missing field of {cls.__name__}")
            continue
        try:
            kwargs[f.alias or f.name] = decode(_as_json(picks[f.name]), hints[f.name], f"{where}.{f.name}")
        except CodecError as e:
            raise UsageError(str(e)) from None
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise UsageError(f"{where}: not a valid {cls.__name__}: {e}") from None




def show(args) -> int:
    files = expand_files(args.files)
    if args.html:
        return _show_html(args, files)
    for i, name in enumerate(files):
        if i:
            print()
        _show_one(args, name)
    return 0


def _show_html(args, files: list[str]) -> int:
    from pathlib import Path

    from ..outputs import atomic_write, check_dir
    from ..timeline import html_page

    traces = [(name, _load(name)) for name in files]  # every file parsed before anything is written
    if len(args.files) == 1 and not Path(args.files[0]).is_dir():
        _args_check(args.html)
        targets = [(Path(args.html), traces[0])]
    else:
        check_dir(args.html, "--html")
        Path(args.html).mkdir(parents=True, exist_ok=True)
        targets = [(Path(args.html) / (Path(name).name.removesuffix(".itf.json") + ".html"), (name, tr))
                   for name, tr in traces]
    for out, (name, tr) in targets:
        title = str(tr.meta.get("description") or name)
        atomic_write(out, html_page(tr, title, args.full))
        print(f"wrote {out} ({len(tr.states)} states)")
    return 0


def _args_check(path: str) -> None:
    from . import _args

    _args.check_writable(path, "--html")


def _show_one(args, file: str) -> None:
    args.file = file
    tr = _load(args.file)
    console = Console(highlight=False)
    meta = tr.meta
    head = [f"[bold]{escape(args.file)}[/]"]
    for key in ("source", "machine", "preset", "mutant", "overrides", "description"):
        if meta.get(key):
            head.append(f"  {key}: {escape(str(meta[key]))}")
    console.print("\n".join(head))
    state_vars = [v for v in tr.vars if v not in ACTION_VARS]
    prev: dict | None = None
    for i, st in enumerate(tr.states):
        action = st.get("mbt::actionTaken", st.get("action_taken"))
        picks = st.get("mbt::nondetPicks", st.get("nondet_picks"))
        loop = "  [magenta](loop starts here)[/]" if tr.loop == i else ""
        if action is not None:
            args_txt = ""
            if isinstance(picks, dict) and picks:
                args_txt = "(" + ", ".join(f"{k}={fmt(v)}" for k, v in picks.items()) + ")"
            console.print(f"[bold cyan]State {i}[/]  <- {escape(fmt(action) + args_txt)}{loop}")
        else:
            console.print(f"[bold cyan]State {i}[/]{loop}")
        for var in state_vars:
            val = st.get(var)
            old = None if prev is None else prev.get(var)
            if prev is not None and not args.full and old == val:
                continue
            if (prev is not None and not args.full and isinstance(val, list) and isinstance(old, list)
                    and len(val) == len(old)):
                for j, (a, b) in enumerate(zip(old, val)):
                    if a != b:
                        console.print(f"  {var}[{j}] = {fmt(b)}", markup=False)
                continue
            console.print(f"  {var} = {fmt(val)}", markup=False)
        prev = st
    rej = meta.get("rejected")
    if isinstance(rej, dict):
        picks = rej.get("args") or {}
        try:
            args_txt = "(" + ", ".join(f"{k}={fmt(itf.decode_value(v, f'$.#meta.rejected.args.{k}'))}"
                                       for k, v in picks.items()) + ")"
        except itf.ItfError as e:
            raise UsageError(f"malformed ITF: {args.file}: {e}") from None
        console.print("[bold red]" + escape(f"then {rej.get('action')}{args_txt} is rejected by {rej.get('rule')}: "
                                            f"{rej.get('reason', '')}") + "[/]")
    console.print(f"{len(tr.states)} state(s)")


def _action_class(machine, name: str):
    mods = {sys.modules[c.__module__] for c in type(machine).__mro__ if c.__module__ in sys.modules}
    for mod in mods:
        for obj in vars(mod).values():
            if isinstance(obj, type) and obj.__name__ == name and attrs.has(obj):
                return obj
    raise UsageError(f"trace names action {name!r}, which machine {machine.name!r} does not have")


def _overrides(meta: dict, path: str = "") -> dict:
    """``#meta.overrides``: the ``--set`` fields the trace's machine was built with."""
    ov = meta.get("overrides", {})
    if not isinstance(ov, dict) or not all(isinstance(k, str) and isinstance(v, (str, int, bool))
                                           for k, v in ov.items()):
        raise UsageError(f"{path}#meta.overrides: must map field names to strings or integers")
    return ov


def _step(machine, state, action, console, what: str):
    """``machine.step`` for replay: ``(next state, None)``, or ``(None, exit code)`` after
    printing why (a protocol rejection, or an exception of the model)."""
    from paraspec.model.core import Rejected

    try:
        return machine.step(state, action), None
    except Rejected as r:
        return r, None
    except Exception as e:  # the model raised on a well-typed input: a bug, reported
        console.print(f"{what}: the model raised {type(e).__name__}: {e}", markup=False)
        return None, 1


def _replay_steps(args, tr: itf.ItfTrace, states_raw: list, machine, console) -> tuple[Any, int | None]:
    """Re-execute the trace's steps; ``(final state, None)`` or ``(None, exit code)``."""
    from paraspec.model.core import Rejected

    def encoded(state) -> dict:
        return {k: itf.encode_value(v) for k, v in machine.view(state).items()}

    def same(state, idx) -> bool:
        want = {k: v for k, v in states_raw[idx].items() if k in encoded(state)}
        return json.dumps(encoded(state), sort_keys=True) == json.dumps(want, sort_keys=True)

    state = next((s for s in machine.init() if same(s, 0)), None)
    if state is None:
        console.print("[red]state 0 is not an initial state of the model[/]")
        return None, 1
    for i in range(1, len(tr.states)):
        st = tr.states[i]
        where = f"{args.file}: $.states[{i}]"
        name = st.get("mbt::actionTaken")
        if not isinstance(name, str):
            raise UsageError(f"{where}.mbt::actionTaken: missing or not a string; cannot replay")
        action = decode_action(_action_class(machine, name), st.get("mbt::nondetPicks") or {},
                               f"{where}.mbt::nondetPicks")
        nxt, code = _step(machine, state, action, console, f"step {i} ({name})")
        if code is not None:
            return None, code
        if isinstance(nxt, Rejected):
            console.print("[red]" + escape(f"step {i} ({name}) was rejected by {nxt.rule_id}: {nxt.reason}") + "[/]")
            return None, 1
        state = nxt
        if not same(state, i):
            console.print("[red]" + escape(f"state {i} differs from the model's after {name}") + "[/]")
            return None, 1
    return state, None


def replay(args) -> int:
    files = expand_files(args.files)
    failed = []
    for name in files:
        args.file = name
        code = _replay_one(args)
        if code:
            failed.append(name)
    if len(files) > 1:
        print(f"{len(files)} trace(s) replayed, " + (f"{len(failed)} differ: {', '.join(failed)}" if failed
                                                       else "every state matches"))
    return 1 if failed else 0


def _replay_one(args) -> int:
    from paraspec.model.core import Rejected

    raw, tr = _load_raw(args.file)
    meta = tr.meta
    if meta.get("source") != "paraspec" or not meta.get("machine"):
        raise UsageError(f"{args.file}: #meta.source/#meta.machine: only traces written by paraspec can be replayed")
    machine = build(meta["machine"], meta.get("preset"), meta.get("mutant"), _overrides(meta, f"{args.file}: "))
    console = Console(highlight=False)
    state, code = _replay_steps(args, tr, raw["states"], machine, console)
    if code is not None:
        return code
    rej = meta.get("rejected")
    if isinstance(rej, dict):
        where = f"{args.file}: $.#meta.rejected.args"
        try:
            picks = {k: itf.decode_value(v, f"{where}.{k}") for k, v in (rej.get("args") or {}).items()}
        except itf.ItfError as e:
            raise UsageError(f"malformed ITF: {e}") from None
        action = decode_action(_action_class(machine, rej["action"]), picks, where)
        nxt, code = _step(machine, state, action, console, f"the final {rej['action']}")
        if code is not None:
            return code
        if not isinstance(nxt, Rejected):
            console.print("[red]" + escape(f"the final {rej['action']} was accepted, but the trace says rule "
                                           f"{rej['rule']} rejects it") + "[/]")
            return 1
        if nxt.rule_id != rej["rule"]:
            console.print("[red]" + escape(f"final step rejected by {nxt.rule_id}, trace says {rej['rule']}") + "[/]")
            return 1
    console.print(f"replayed {len(tr.states) - 1} step(s) on {machine!r}: every state matches", markup=False)
    return 0
