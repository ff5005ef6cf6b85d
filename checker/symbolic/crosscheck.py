"""Check a symbolic encoding against the explicit engine, state by state.

On every state the explicit engine reaches within a bound, and for every action of
the encoding's alphabet, the encoding must say exactly what ``actions`` and ``step``
do: the action is enabled iff ``actions(s)`` yields it; it is accepted iff ``step``
returns, and then the encoded next state is ``step``'s; when ``step`` rejects, the
encoded rejection names the same rule; when it raises, the encoding says so. Each
property formula must also agree with the property's Python predicate. Together this
checks the relation in both directions: every explicit successor satisfies it, and
every model of it from a reachable state is an explicit successor (the next state is a
function of the state and the action) or a rejection.
"""

from __future__ import annotations

from typing import Any, Iterable

import attrs

from paraspec.model.core import Rejected
from paraspec.properties.core import Kind, Property

from ..explore import Exploration, Visitor, explore
from .encoding import MachineEncoding
from .symexec import Unsupported
from .z3eval import compile_formulas, to_signed

__all__ = ["Mismatch", "crosscheck", "reachable_states"]


@attrs.frozen
class Mismatch:
    state: Any
    action: Any
    what: str

    def __str__(self) -> str:
        return f"{self.what} (action {self.action!r} in state {self.state!r})"


class _Reachable(Visitor):
    """Every state within ``max_depth`` steps, level by level until ``limit`` are stored."""

    def __init__(self, machine, max_depth: int | None, limit: int):
        super().__init__(machine)
        self.max_depth = max_depth
        self.limit = limit
        self.states: list = []

    def on_state(self, i: int, parent: int, succ: tuple) -> None:
        self.states.append(succ[4])

    def stop_level(self, ex: Exploration) -> str | None:
        if (self.max_depth is not None and ex.depth >= self.max_depth) or len(ex) >= self.limit:
            return "bound"
        return None


def reachable_states(machine, max_depth: int | None = None, limit: int = 100_000) -> list:
    """States reachable within ``max_depth`` steps (breadth-first)."""
    v = _Reachable(machine, max_depth, limit)
    explore(v)
    return v.states


def crosscheck(enc: MachineEncoding, states: Iterable[Any], properties: Iterable[Property] = (),
               max_mismatches: int = 20) -> tuple[int, list[Mismatch]]:
    """Compare the encoding with ``actions``/``step`` (and property formulas with their
    predicates) on ``states``; returns (checks made, mismatches)."""
    m = enc.machine
    schema = enc.schema
    props = [p for p in properties if p.kind in (Kind.ALWAYS, Kind.TRANSITION, Kind.SOMETIMES)]
    f, layout, pstart = _compile(enc, props)
    alphabet = {a: j for j, a in enumerate(enc.alphabet)}
    mismatches: list[Mismatch] = []
    checks = 0

    def bad(s, a, what):
        mismatches.append(Mismatch(s, a, what))

    for s in states:
        if len(mismatches) >= max_mismatches:
            break
        try:
            flat = schema.flatten_concrete(s)
        except Unsupported as e:
            bad(s, None, f"the state lies outside the encoding's schema: {e}")
            continue
        vals = f({f"x!{p}": v for p, v in flat.items()})
        explicit = list(m.actions(s))
        for a in explicit:
            if a not in alphabet:
                bad(s, a, "actions() yields an action missing from the encoding's alphabet")
        offered = set(explicit)
        any_error = False
        for j, st in enumerate(enc.steps):
            checks += 1
            any_error |= _check_step(enc, st, layout[j], vals, s, st.action in offered, bad)
        if bool(vals[-1]) != any_error:
            bad(s, None, f"error formula is {bool(vals[-1])}, the model {'raises' if any_error else 'does not'}")
        for p, v in zip(props, vals[pstart:pstart + len(props)]):
            checks += 1
            want = _holds(m, p, s, explicit)
            if bool(v) != want:
                bad(s, None, f"property {p.name} is {bool(v)} in the encoding, {want} on the model")
    return checks, mismatches


def _compile(enc: MachineEncoding, props: list[Property]):
    """One compiled function of every formula the check reads: (function, per action
    (start index, n rejection rules, n errors), index of the first property formula)."""
    exprs: list = []
    layout = []
    for st in enc.steps:
        start = len(exprs)
        exprs += [st.enabled, st.accepted, st.width]
        exprs += [st.next[lf.path] for lf in enc.schema.leaves]
        exprs += [c for c, _ in st.rejections]
        exprs += [c for c, _ in st.errors]
        layout.append((start, len(st.rejections), len(st.errors)))
    pstart = len(exprs)
    exprs += [enc.holds(p) for p in props]
    exprs.append(enc.error_formula())
    return compile_formulas(exprs), layout, pstart


def _check_step(enc: MachineEncoding, st, where, vals, s, offered: bool, bad) -> bool:
    """Compare one encoded action with ``step`` in state ``s``; True when the model raises."""
    m, leaves = enc.machine, enc.schema.leaves
    start, n_rej, n_err = where
    en, acc, width = vals[start], vals[start + 1], vals[start + 2]
    nxt = vals[start + 3:start + 3 + len(leaves)]
    rej = vals[start + 3 + len(leaves):start + 3 + len(leaves) + n_rej]
    err = vals[start + 3 + len(leaves) + n_rej:start + 3 + len(leaves) + n_rej + n_err]
    a = st.action
    if bool(en) != offered:
        bad(s, a, f"enabled is {bool(en)} but actions() {'yields' if offered else 'does not yield'} it")
        return False
    if not en:
        return False
    if width:
        bad(s, a, "the encoding says a value leaves the bit width")
        return False
    try:
        t = m.step(s, a)
    except Rejected as r:
        if acc:
            bad(s, a, f"encoded as accepted, the model rejects it ({r.rule_id})")
        rules = [rule for (c, rule), v in zip(st.rejections, rej) if v]
        if rules != [r.rule_id]:
            bad(s, a, f"the model rejects by {r.rule_id}, the encoding by {rules}")
        return False
    except Exception as e:  # a model error: the encoding must flag it
        if not any(err):
            bad(s, a, f"the model raises {type(e).__name__}, the encoding does not say so")
        return True
    if not acc:
        bad(s, a, "the model accepts it, the encoding does not")
        return False
    try:
        want = enc.schema.flatten_concrete(t)
    except Unsupported as e:
        bad(s, a, f"the model's next state lies outside the encoding's schema: {e}")
        return False
    for lf, v in zip(leaves, nxt):
        got = bool(v) if lf.kind in ("bool", "present") else to_signed(v, st.next[lf.path].sort().size())
        if got != (bool(want[lf.path]) if lf.kind in ("bool", "present") else want[lf.path]):
            bad(s, a, f"next state differs at {lf.path}: encoding {got}, model {want[lf.path]}")
            break
    return False


def _holds(m, p: Property, s, explicit: list) -> bool:
    """The property's Python predicate in state ``s`` (a transition property: on every input)."""
    if p.kind in (Kind.ALWAYS, Kind.SOMETIMES):
        return bool(p.predicate(m, s))
    for a in explicit:
        if p.on and not isinstance(a, p.on):
            continue
        try:
            t = m.step(s, a)
        except Rejected as r:
            t = r
        except Exception:
            continue
        if not p.predicate(m, s, a, t):
            return False
    return True
