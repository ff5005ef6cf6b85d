"""The interactive stepper behind ``paraspec repl MACHINE``.

A :class:`Session` holds a machine, the current state and the steps taken. It lists
the actions the machine offers in the state (``Machine.actions``), each with its
outcome: enabled, or the rule that rejects it (``Machine.try_step``); it takes an
action (by its number in the list, or as JSON), undoes the last step, asks a query,
and saves the steps as a scenario file whose ``expect`` blocks hold what each step
changed, so the saved file is a regression test of the session (``paraspec run``).
Everything goes through the machine's own functions; the session adds no rule.
"""

from __future__ import annotations

import json
import shlex
from typing import Any, TextIO

from paraspec.model.core import Rejected, action_args, action_name

from ..codec import encode
from ..registry import UsageError
from .contract import action_classes, events_json, queries, state_json
from .plan import PlanStep, decode_args
from .schema import FORMAT

__all__ = ["Session", "changed_paths", "run_repl", "HELP"]

#: actions listed at most (a state of a large preset offers thousands)
MAX_LISTED = 60
#: actions tried at most for a list (the polkadot preset offers 2^100 EndBlock inputs)
MAX_TRIED = 2000

HELP = """commands:
  state                 the current state (JSON, one field a line)
  actions               the actions offered here: [n] enabled, or the rule that rejects it
  take N                take action N of the last 'actions' list
  take JSON             take {"action": NAME, "args": {...}} (a rejected one is recorded too)
  undo                  undo the last step
  query NAME [p=v ...]  ask a query of the state (queries: see 'queries')
  queries               the machine's queries
  save FILE             write the steps taken as a scenario (paraspec run FILE replays it)
  help                  this text
  quit                  leave (end of input too)"""


def changed_paths(before: Any, after: Any, prefix: str = "", limit: int = 6) -> dict[str, Any]:
    """The leaf paths whose value differs between two JSON values (at most ``limit``;
    a list whose length changed is one leaf)."""
    out: dict[str, Any] = {}

    def walk(a: Any, b: Any, path: str) -> None:
        if len(out) >= limit or a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b):
            for k in b:
                walk(a[k], b[k], f"{path}.{k}" if path else k)
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and path:
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{path}.{i}")
        else:
            out[path] = b
    walk(before, after, prefix)
    return out


class Session:
    def __init__(self, machine, init: int = 0):
        self.machine = machine
        inits = list(machine.init())
        if not 0 <= init < len(inits):
            raise UsageError(f"--init {init}: machine {machine.name!r} has {len(inits)} initial state(s)")
        self.init = init
        self.state = inits[init]
        #: (state before, recorded step) for every step taken
        self.history: list[tuple[Any, dict[str, Any]]] = []
        self.listed: list[Any] = []

    # -- views ------------------------------------------------------------------------------------
    def show_state(self) -> list[str]:
        return [f"{k} = {json.dumps(v, separators=(',', ':'))}" for k, v in state_json(self.machine,
                                                                                       self.state).items()]

    def show_actions(self) -> list[str]:
        import itertools

        enabled, disabled = [], []
        offered = itertools.islice(self.machine.actions(self.state), MAX_TRIED + 1)
        n = -1
        for n, a in enumerate(offered):
            if n == MAX_TRIED:
                break
            r = self.machine.try_step(self.state, a)
            (disabled if isinstance(r, Rejected) else enabled).append((a, r))
        self.listed = [a for a, _ in enabled[:MAX_LISTED]]
        some = "" if n < MAX_TRIED else f" among the first {MAX_TRIED} offered"
        lines = [f"enabled ({len(enabled)}{some}):"]
        lines += [f"  [{i}] {_fmt(a)}" for i, a in enumerate(self.listed)]
        if len(enabled) > MAX_LISTED:
            lines.append(f"  ... {len(enabled) - MAX_LISTED} more")
        lines.append(f"disabled ({len(disabled)}):")
        lines += [f"  {_fmt(a)}  rejected by {r.rule_id}: {r.reason}" for a, r in disabled[:MAX_LISTED]]
        if len(disabled) > MAX_LISTED:
            lines.append(f"  ... {len(disabled) - MAX_LISTED} more")
        return lines

    # -- stepping ---------------------------------------------------------------------------------
    def parse_action(self, text: str) -> Any:
        text = text.strip()
        if text.isdigit():
            i = int(text)
            if not self.listed or i >= len(self.listed):
                raise UsageError(f"take {i}: no such action in the last list (run 'actions' first)")
            return self.listed[i]
        try:
            doc = json.loads(text)
        except ValueError:
            raise UsageError("take: give an action number or {\"action\": NAME, \"args\": {...}}") from None
        if not isinstance(doc, dict) or doc.get("action") not in action_classes(self.machine):
            raise UsageError(f"take: unknown action (actions: {', '.join(action_classes(self.machine))})")
        args = doc.get("args") or {}
        if not isinstance(args, dict):
            raise UsageError("take: args must be an object")
        step = PlanStep(0, doc["action"], None, args)
        return decode_args(self.machine, step, lambda spec: (), "take")

    def take(self, action: Any) -> list[str]:
        before = self.state
        r = self.machine.try_step(before, action)
        rec: dict[str, Any] = {"action": action_name(action), "args": encode(action_args(action))}
        if isinstance(r, Rejected):
            rec["rejected_by"] = r.rule_id
            self.history.append((before, rec))
            return [f"rejected by {r.rule_id}: {r.reason} (recorded; the state is unchanged)"]
        changed = changed_paths(state_json(self.machine, before), state_json(self.machine, r))
        ev = events_json(self.machine, before, action, r)
        if changed:
            rec["expect"] = changed
        if ev is not None:
            rec.setdefault("expect", {})["@events"] = ev
        self.history.append((before, rec))
        self.state = r
        lines = [f"took {_fmt(action)}"]
        lines += [f"  {k} = {json.dumps(v, separators=(',', ':'))}" for k, v in changed.items()]
        if ev is not None:
            lines.append(f"  events: {json.dumps(ev, separators=(',', ':'))}")
        return lines

    def undo(self) -> list[str]:
        if not self.history:
            return ["nothing to undo"]
        before, rec = self.history.pop()
        self.state = before
        if "rejected_by" in rec:
            return [f"undid {rec['action']} (the attempt rejected by {rec['rejected_by']})"]
        return [f"undid {rec['action']}"]

    def query(self, name: str, params: dict[str, int]) -> list[str]:
        qs = queries(self.machine)
        if name not in qs:
            raise UsageError(f"query {name}: machine {self.machine.name!r} has none "
                             f"(its queries: {', '.join(sorted(qs)) or 'none'})")
        q = qs[name]
        bad = [p for p in params if p not in q.params] + [p for p in q.params if p not in params
                                                             and p not in q.optional]
        if bad:
            raise UsageError(f"query {name}: parameters are {', '.join(q.params) or 'none'}")
        return [json.dumps(encode(q(self.machine, self.state, **params)), separators=(",", ":"))]

    def scenario(self, name: str) -> dict[str, Any]:
        m = self.machine
        doc: dict[str, Any] = {"format": FORMAT, "name": name, "machine": m.name, "preset": m.preset}
        if self.init:
            doc["init"] = self.init
        if m.overrides:
            doc["set"] = {k: v.name if hasattr(v, "name") and not isinstance(v, (int, str)) else v
                          for k, v in m.overrides.items()}
        doc["steps"] = [rec for _, rec in self.history]
        return doc


def _fmt(a: Any) -> str:
    args = ", ".join(f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in encode(action_args(a)).items())
    return f"{action_name(a)}({args})"


def _params(words: list[str]) -> dict[str, int]:
    out = {}
    for w in words:
        k, _, v = w.partition("=")
        if not v.lstrip("-").isdigit():
            raise UsageError(f"query parameter {w!r}: expected NAME=INTEGER")
        out[k] = int(v)
    return out


def _command(s: Session, line: str, out: TextIO) -> bool:
    """Run one command line; False to stop."""
    from ..outputs import atomic_write

    word, _, rest = line.strip().partition(" ")
    if word in ("quit", "exit", "q"):
        return False
    if word in ("state", "s"):
        lines = s.show_state()
    elif word in ("actions", "a"):
        lines = s.show_actions()
    elif word in ("take", "t"):
        lines = s.take(s.parse_action(rest))
    elif word in ("undo", "u"):
        lines = s.undo()
    elif word == "queries":
        lines = [f"{q.name}({', '.join(q.params)}): {q.doc}" for q in queries(s.machine).values()] or ["none"]
    elif word == "query":
        parts = shlex.split(rest)
        if not parts:
            raise UsageError("query: give a query name")
        lines = s.query(parts[0], _params(parts[1:]))
    elif word == "save":
        path = rest.strip()
        if not path:
            raise UsageError("save: give a file name")
        from pathlib import Path

        atomic_write(Path(path), json.dumps(s.scenario(Path(path).name.split(".")[0]), indent=1) + "\n")
        lines = [f"saved {len(s.history)} step(s) to {path}"]
    elif word in ("help", "h", "?"):
        lines = HELP.splitlines()
    elif not word:
        lines = []
    else:
        lines = [f"unknown command {word!r} (help lists them)"]
    for ln in lines:
        print(ln, file=out)
    return True


def run_repl(machine, inp: TextIO, out: TextIO, prompt: bool, init: int = 0) -> int:
    s = Session(machine, init)
    print(f"{machine.name} ({machine.preset}): {type(machine).description}; 'help' lists the commands", file=out)
    while True:
        if prompt:
            print(f"{machine.name}> ", end="", file=out, flush=True)
        line = inp.readline()
        if not line:
            return 0
        try:
            if not _command(s, line, out):
                return 0
        except UsageError as e:
            print(f"error: {e}", file=out)
