"""``paraspec trace show|replay FILE.itf.json``."""

from __future__ import annotations

import json
import sys
from typing import Any

import attrs
from rich.console import Console

from .. import itf
from ..registry import UsageError, build


def register(sub) -> None:
    p = sub.add_parser("trace", help="render or replay an ITF trace")
    tsub = p.add_subparsers(dest="trace_command", metavar="ACTION")
    tsub.required = True
    s = tsub.add_parser("show", help="render an ITF trace (paraspec's, Quint's or Apalache's) readably")
    s.add_argument("file", metavar="FILE.itf.json")
    s.add_argument("--full", action="store_true", help="print every variable of every state, not only changes")
    s.set_defaults(func=show)
    r = tsub.add_parser("replay", help="re-execute a paraspec trace on the model and compare every state")
    r.add_argument("file", metavar="FILE.itf.json")
    r.set_defaults(func=replay)


def _load(path: str) -> itf.ItfTrace:
    try:
        return itf.load(path)
    except itf.ItfError as e:
        raise UsageError(f"malformed ITF: {e}") from None


def fmt(v: Any) -> str:
    if isinstance(v, dict):
        if set(v) == {"tag", "value"}:
            inner = fmt(v["value"])
            return v["tag"] if inner in ("()", "") else f"{v['tag']}({inner})"
        return "{" + ", ".join(f"{k}: {fmt(x)}" for k, x in v.items()) + "}"
    if isinstance(v, frozenset):
        return "{" + ", ".join(sorted(fmt(x) for x in v)) + "}"
    if isinstance(v, tuple):
        return "(" + ", ".join(fmt(x) for x in v) + ")"
    if isinstance(v, list):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


ACTION_VARS = ("mbt::actionTaken", "mbt::nondetPicks", "action_taken", "nondet_picks")


def show(args) -> int:
    tr = _load(args.file)
    console = Console(highlight=False)
    meta = tr.meta
    head = [f"[bold]{args.file}[/]"]
    for key in ("source", "machine", "preset", "mutant", "overrides", "description"):
        if meta.get(key):
            head.append(f"  {key}: {meta[key]}")
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
            console.print(f"[bold cyan]State {i}[/]  <- {fmt(action)}{args_txt}{loop}")
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
                        console.print(f"  {var}[{j}] = {fmt(b)}")
                continue
            console.print(f"  {var} = {fmt(val)}")
        prev = st
    rej = meta.get("rejected")
    if isinstance(rej, dict):
        picks = rej.get("args") or {}
        args_txt = "(" + ", ".join(f"{k}={fmt(itf.decode_value(v))}" for k, v in picks.items()) + ")"
        console.print(f"[bold red]then {rej.get('action')}{args_txt} is rejected by {rej.get('rule')}: "
                      f"{rej.get('reason')}[/]")
    console.print(f"{len(tr.states)} state(s)")
    return 0


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


def replay(args) -> int:
    tr = _load(args.file)
    meta = tr.meta
    if meta.get("source") != "paraspec" or not meta.get("machine"):
        raise UsageError(f"{args.file}: #meta.source/#meta.machine: only traces written by paraspec can be replayed")
    machine = build(meta["machine"], meta.get("preset"), meta.get("mutant"), _overrides(meta, f"{args.file}: "))
    raw = json.loads(open(args.file).read())
    states_raw = raw["states"]
    inits = list(machine.init())
    console = Console(highlight=False)

    def encoded(state) -> dict:
        return {k: itf.encode_value(v) for k, v in machine.view(state).items()}

    def same(state, idx) -> bool:
        want = {k: v for k, v in states_raw[idx].items() if k in encoded(state)}
        return json.dumps(encoded(state), sort_keys=True) == json.dumps(want, sort_keys=True)

    state = next((s for s in inits if same(s, 0)), None)
    if state is None:
        console.print("[red]state 0 is not an initial state of the model[/]")
        return 1
    for i in range(1, len(tr.states)):
        st = tr.states[i]
        name = st.get("mbt::actionTaken")
        if not isinstance(name, str):
            raise UsageError(f"{args.file}: $.states[{i}].mbt::actionTaken: missing; cannot replay")
        cls = _action_class(machine, name)
        picks = st.get("mbt::nondetPicks") or {}
        try:
            action = cls(**picks)
        except TypeError as e:
            raise UsageError(f"{args.file}: $.states[{i}].mbt::nondetPicks: {e}") from None
        from paraspec.model.core import Rejected

        try:
            state = machine.step(state, action)
        except Rejected as r:
            console.print(f"[red]step {i} ({name}) was rejected by {r.rule_id}: {r.reason}[/]")
            return 1
        if not same(state, i):
            console.print(f"[red]state {i} differs from the model's after {name}[/]")
            return 1
    rej = meta.get("rejected")
    if isinstance(rej, dict):
        cls = _action_class(machine, rej.get("action", ""))
        action = cls(**{k: itf.decode_value(v) for k, v in (rej.get("args") or {}).items()})
        from paraspec.model.core import Rejected

        try:
            machine.step(state, action)
            console.print(f"[red]the final {rej.get('action')} was accepted, but the trace says rule "
                          f"{rej.get('rule')} rejects it[/]")
            return 1
        except Rejected as r:
            if r.rule_id != rej.get("rule"):
                console.print(f"[red]final step rejected by {r.rule_id}, trace says {rej.get('rule')}[/]")
                return 1
    console.print(f"replayed {len(tr.states) - 1} step(s) on {machine!r}: every state matches")
    return 0
