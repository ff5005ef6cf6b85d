"""Which rule IDs one step of the reference model exercises, and how.

A step exercises a rule *positively* or *negatively*:

* every guard ``require(cond, RULE, ...)`` evaluated during the step: positive when
  ``cond`` holds, negative when it fails (the input is rejected by ``RULE``);
* a ``Rejected(RULE, ...)`` raised directly: negative;
* every *rule predicate* evaluated during the step, that is a function or method of a
  ``model`` module returning a ``bool`` that declares rule IDs with
  ``@implements`` (``paraspec.model.rules``; ``is_available`` implements AV-6,
  ``is_more_than_two_thirds`` TH-2): positive when it returns ``True``, negative when
  ``False``;
* for an accepted input, every property of the machine that is *about* the step:
  a transition property whose witness fires on it, an invariant whose witness starts
  to hold, a reachability (or ``eventually``) property that starts to hold, a
  ``leads_to`` property whose goal the step reaches from its trigger: positive.

The rule IDs of rule routines that return something other than a ``bool``
(``process_configuration_session_change`` implements CFG-5) are kept apart in
``last_entered``: the step ran through the rule without testing it, which names the
rule of a coverage case that exercises nothing else.

Tracing uses :func:`sys.setprofile` only around the traced step, so the model needs
no instrumentation.
"""

from __future__ import annotations

import inspect
import sys
import types
from typing import Any

from paraspec.model import core as model_core
from paraspec.model.core import Machine, Rejected
from paraspec.model.rules import rule_ids
from paraspec.properties.core import Kind, Property

__all__ = ["RuleTracer", "rule_functions"]

_CODES: dict[types.CodeType, tuple[str, ...]] | None = None


def rule_functions() -> dict[types.CodeType, tuple[str, ...]]:
    """Code object -> rule IDs, for every function and method of the ``model`` package
    that declares rule IDs (``@implements``)."""
    global _CODES
    if _CODES is not None:
        return _CODES
    out: dict[types.CodeType, tuple[str, ...]] = {}
    for name, mod in sorted(sys.modules.items()):
        if not (name == "paraspec.model" or name.startswith("paraspec.model.")) or mod is None:
            continue
        for obj in vars(mod).values():
            fns = []
            if inspect.isfunction(obj) and obj.__module__ == name:
                fns.append(obj)
            elif inspect.isclass(obj) and obj.__module__ == name:
                fns.extend(v for v in vars(obj).values() if inspect.isfunction(v))
            for fn in fns:
                ids = rule_ids(fn)
                if ids:
                    out[fn.__code__] = ids
    _CODES = out
    return out


class RuleTracer:
    """Traces the rules a machine's steps exercise (see the module docstring)."""

    def __init__(self, machine: Machine, properties: list[Property], known_rules: set[str] | None = None):
        self.machine = machine
        self.codes = rule_functions()
        self.require_code = model_core.require.__code__
        self.known = known_rules
        self.trans = [p for p in properties if p.kind == Kind.TRANSITION and p.witness is not None]
        self.invs = [p for p in properties if p.kind == Kind.ALWAYS and p.witness is not None]
        self.somes = [p for p in properties if p.kind in (Kind.SOMETIMES, Kind.EVENTUALLY)]
        self.leads = [p for p in properties if p.kind == Kind.LEADS_TO]

    def step(self, run, state: Any, action: Any) -> tuple[Any, dict[str, set[bool]]]:
        """Run ``run(state, action)`` traced; return (next state or Rejected, rule -> polarities)."""
        seen: dict[str, set[bool]] = {}
        why: dict[tuple[str, bool], str] = {}
        entered: set[str] = set()
        self.last_why = why
        #: rule IDs of the rule routines (not predicates) the step ran through
        self.last_entered = entered
        codes = self.codes
        req = self.require_code

        def note(rid: str, pol: bool, source: str = "") -> None:
            seen.setdefault(rid, set()).add(pol)
            if source:
                why.setdefault((rid, pol), source)

        def prof(frame, event, arg):
            if event == "call":
                if frame.f_code is req:
                    loc = frame.f_locals
                    cond = bool(loc["cond"])
                    note(loc["rule_id"], cond, "its guard holds" if cond else "its guard rejects the input")
            elif event == "return":
                ids = codes.get(frame.f_code)
                if ids is not None:
                    if isinstance(arg, bool):
                        for rid in ids:
                            note(rid, arg, f"{frame.f_code.co_name} is {'true' if arg else 'false'}")
                    else:
                        entered.update(ids)

        old = sys.getprofile()
        sys.setprofile(prof)
        try:
            try:
                result = run(state, action)
            except Rejected as r:
                r.__traceback__ = None
                result = r
        finally:
            try:
                sys.setprofile(old)
            except TypeError:  # a C-level profiler (cProfile) cannot be re-installed from Python
                sys.setprofile(None)
        if isinstance(result, Rejected):
            note(result.rule_id, False, "it rejects the input")
        else:
            self._properties(state, action, result, note)
        if self.known is not None:
            seen = {r: p for r, p in seen.items() if r in self.known}
            entered.intersection_update(self.known)
        return result, seen

    def _properties(self, s, a, t, note) -> None:
        m = self.machine

        def about(p):
            return f"the step is about property {p.name}"

        for p in self.trans:
            if p.on and not isinstance(a, p.on):
                continue
            try:
                hit = p.witness(m, s, a, t)
            except Exception:
                hit = False
            if hit:
                for rid in p.rules:
                    note(rid, True, about(p))
        for p in self.invs:
            try:
                hit = p.witness(m, t) and not p.witness(m, s)
            except Exception:
                hit = False
            if hit:
                for rid in p.rules:
                    note(rid, True, f"the situation of property {p.name} starts")
        for p in self.somes:
            try:
                hit = p.predicate(m, t) and not p.predicate(m, s)
            except Exception:
                hit = False
            if hit:
                for rid in p.rules:
                    note(rid, True, f"property {p.name} becomes witnessed")
        for p in self.leads:
            keys = list(p.over(m)) if p.over is not None else [None]
            try:
                hit = any(_lead(p, m, s, k) and _goal(p, m, t, k) and not _goal(p, m, s, k) for k in keys)
            except Exception:
                hit = False
            if hit:
                for rid in p.rules:
                    note(rid, True, f"the step reaches the goal of property {p.name} from its trigger")


def _lead(p: Property, m: Machine, s: Any, key: Any) -> bool:
    return bool(p.predicate(m, s) if key is None else p.predicate(m, s, key))


def _goal(p: Property, m: Machine, s: Any, key: Any) -> bool:
    return bool(p.goal(m, s) if key is None else p.goal(m, s, key))
