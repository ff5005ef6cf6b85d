"""Proofs over bit-vectors as wide as the machine's masks: N validators for any N.

The symbolic executor (:mod:`checker.symbolic.symexec`) decides branches by
enumerating each variable's domain, so a vote mask over N validators costs 2^N values:
past 16 bits (``WIDTH``) it cannot encode the machine. A *vectorized* machine
(``Machine.vectorized``: its guards and effects are dual-use field arithmetic over
:mod:`model.logic`, the code the numpy engine runs) needs no executor: its own
``guards`` and ``effect`` called on a state whose fields are Z3 bit-vector terms return
the transition relation as Z3 terms. This module builds that relation, with every
field a bit-vector of ``width`` bits (its ``layout()`` bits plus two: the sign and one
bit of headroom, so no value of the domain wraps), and proves the machine's
``always`` and ``transition`` properties by 1-induction.

* The *domain* (every field within its ``layout()`` bits) and the ``always``
  properties are the candidate invariants. The largest subset that is inductive
  (initial states satisfy it; a step from a state satisfying all of them satisfies
  them again) is found by dropping the ones whose step fails (Houdini); those are
  proved, the others are ``unknown`` (not inductive at k = 1: no verdict).
* A ``transition`` property is proved when every step from a state satisfying the
  proved invariants satisfies it.

One action template stands for each action of ``action_space()`` up to the validator
fields the machine's symmetry declaration names (``Symmetry.validator_args``): that
field becomes a bit-vector variable ranging over ``0 .. N-1``, so the relation has a
size independent of N. A proof is for the parameters it ran with, N included; the
verdict's ``reason``/summary state them and the bit width.
"""

from __future__ import annotations

import time
from typing import Any, Iterable

import attrs
import z3

from paraspec.model.core import Machine
from paraspec.properties.core import Kind, Property

from .verdicts import Proved, Unknown

__all__ = ["WideEncoding", "wide_applicable", "prove_wide", "NoWideEncoding"]


class NoWideEncoding(Exception):
    """The machine's rules cannot be run on bit-vector terms."""


def wide_applicable(machine: Machine) -> bool:
    """A machine whose rules are dual-use field arithmetic with a compact layout: the
    vectorized engine's contract (``checker/vector.py``: ``action_space()``, ``guards``,
    ``effect``). ``action_space()`` holds every action of every state; were some state to
    offer fewer, the relation would over-approximate the machine, which keeps a proof sound."""
    lay = machine.layout() if type(machine).vectorized else None
    # a tuple of records (``availability``'s paras) is not encoded here yet: flat int fields only
    return (lay is not None and machine.state_class is not None and all(isinstance(spec[1], int) for spec in lay)
            and all(callable(getattr(machine, f, None)) for f in ("action_space", "guards", "effect")))


def _as_bool(x: Any) -> Any:
    if isinstance(x, z3.BoolRef):
        return x
    if isinstance(x, (bool, int)) and not isinstance(x, z3.ExprRef):
        return z3.BoolVal(bool(x))
    raise NoWideEncoding(f"a rule returned {type(x).__name__}, not a Boolean")


@attrs.define
class Template:
    """One action with its validator field symbolic (``cond`` bounds it), and the
    concrete actions it stands for."""

    action: Any
    cond: Any
    instances: tuple


class WideEncoding:
    """The transition relation of a vectorized machine over ``width``-bit vectors."""

    def __init__(self, machine: Machine):
        if not wide_applicable(machine):
            raise NoWideEncoding(f"{machine.name} is not vectorized (its rules are not dual-use field arithmetic)")
        self.machine = machine
        self.layout = dict(machine.layout())
        params = [v for v in machine.parameter_values().values() if isinstance(v, int) and not isinstance(v, bool)]
        # the sign bit and one of headroom over the widest field and every parameter (a
        # constant wider than the vectors would wrap silently)
        self.width = max([*self.layout.values(), *(abs(v).bit_length() for v in params)]) + 2
        inits = list(machine.init())
        if len(inits) != 1:
            raise NoWideEncoding(f"{machine.name} has {len(inits)} initial states; one is supported")
        self.init = inits[0]
        self.fields = [f.name for f in attrs.fields(machine.state_class)]
        missing = [f for f in self.fields if f not in self.layout]
        if missing:
            raise NoWideEncoding(f"fields without a layout: {', '.join(missing)}")
        self.lengths = {f: len(getattr(self.init, f)) for f in self.fields}
        self.templates = self._templates()

    # -- states and actions -------------------------------------------------------------------------
    def state(self, tag: str):
        w = self.width
        return self.machine.state_class(**{
            f: tuple(z3.BitVec(f"{tag}.{f}[{i}]", w) for i in range(self.lengths[f])) for f in self.fields})

    def domain(self, s) -> Any:
        """Every element of every field within its layout bits (unsigned)."""
        w = self.width
        cs = []
        for f in self.fields:
            hi = 1 << self.layout[f]
            for x in getattr(s, f):
                cs += [x >= 0, x < z3.BitVecVal(hi, w)]
        return z3.And(*cs)

    def _templates(self) -> list["Template"]:
        """The action space with each validator field of the symmetry declaration replaced
        by one bit-vector variable ``0 <= v < N``; each template keeps its concrete
        instances, for a case split when the solver gives up on the symbolic one."""
        sym = self.machine.symmetry
        vargs = {} if sym is None else {cls: field for cls, field in sym.validator_args}
        n = 0 if sym is None else sym.n_validators
        out: dict[Any, Template] = {}
        for a in self.machine.action_space():
            field = vargs.get(type(a))
            if field is None:
                out.setdefault(a, Template(a, z3.BoolVal(True), (a,)))
                continue
            key = (type(a), tuple((f.name, getattr(a, f.name)) for f in attrs.fields(type(a)) if f.name != field))
            if key not in out:
                v = z3.BitVec(f"{type(a).__name__}.{field}", self.width)
                out[key] = Template(attrs.evolve(a, **{field: v}), z3.And(v >= 0, v < n), ())
            out[key].instances += (a,)
        return list(out.values())

    def step(self, s, a) -> tuple[Any, Any]:
        """``(accepted, next state)``: the machine's own guards and effect on terms."""
        try:
            guards = [_as_bool(c) for c, _rule, _why in self.machine.guards(s, a)]
            nxt = self.machine.effect(s, a)
        except NoWideEncoding:
            raise
        except Exception as e:  # the rule code did something bit-vectors cannot follow
            raise NoWideEncoding(f"{type(a).__name__}: {type(e).__name__}: {e}") from e
        return z3.And(*guards) if guards else z3.BoolVal(True), nxt

    def equal(self, s, values) -> Any:
        """The formula ``s == values`` (values: a concrete state of the machine)."""
        return z3.And(*[x == z3.BitVecVal(int(v), self.width) for f in self.fields
                        for x, v in zip(getattr(s, f), getattr(values, f))])

    def summary(self) -> dict[str, Any]:
        return {"route": "wide", "width_bits": self.width, "action_templates": len(self.templates)}


#: seconds the solver gets on a symbolic-validator template before the proof splits it
#: into its concrete instances (each of which simplifies to little)
SPLIT_AFTER_S = 3.0


class _OutOfTime(Exception):
    pass


def _check(solver: z3.Solver, formulas: list, deadline: float | None, cap: float | None = None) -> Any:
    left = None if deadline is None else deadline - time.perf_counter()
    if left is not None and left <= 0:
        raise _OutOfTime
    if cap is not None:
        left = cap if left is None else min(left, cap)
    solver.set("timeout", 0 if left is None else max(1, int(left * 1000)))
    solver.push()
    try:
        solver.add(*formulas)
        return solver.check()
    finally:
        solver.pop()


class _Prover:
    """1-induction over the wide encoding: Houdini over the candidate invariants, then
    the transition properties from the invariants proved."""

    def __init__(self, enc: WideEncoding, deadline: float | None):
        self.enc, self.m, self.deadline = enc, enc.machine, deadline
        self.s = enc.state("s")
        self.solver = z3.Solver()
        self._steps: dict[int, tuple] = {}

    def step(self, a) -> tuple[Any, Any]:
        key = id(a)
        if key not in self._steps:
            self._steps[key] = (a, *self.enc.step(self.s, a))
        return self._steps[key][1:]

    def _holds(self, hyp: list, cond: Any, a: Any, goal) -> bool:
        acc, t = self.step(a)
        r = _check(self.solver, [*hyp, cond, acc, z3.Not(goal(a, t))], self.deadline,
                   SPLIT_AFTER_S if cond is not None and not z3.is_true(cond) else None)
        if r == z3.unknown and self.deadline is not None and time.perf_counter() >= self.deadline:
            raise _OutOfTime
        if r == z3.unknown:
            return None
        return r == z3.unsat

    def holds(self, hyp: list, tpl: Template, goal) -> bool:
        """``goal`` after every step of the template from a state satisfying ``hyp``; a
        template the solver gives up on is split into its concrete instances."""
        r = self._holds(hyp, tpl.cond, tpl.action, goal)
        if r is None:
            r = all(self._holds(hyp, z3.BoolVal(True), a, goal) for a in tpl.instances)
        return r

    def inv(self, inv: Any, x) -> Any:
        return self.enc.domain(x) if inv is None else _as_bool(inv.predicate(self.m, x))

    def houdini(self, invs: dict[str, Any], verdicts: dict[str, Any]) -> list[str]:
        live = list(invs)
        changed = True
        while changed:
            changed = False
            hyp = [self.inv(invs[n], self.s) for n in live]
            for name in list(live):
                bad = next((tpl for tpl in self.enc.templates
                            if not self.holds(hyp, tpl, lambda a, t, n=name: self.inv(invs[n], t))), None)
                if bad is not None:
                    live.remove(name)
                    verdicts[name] = Unknown(f"not inductive at k=1 ({type(bad.action).__name__} breaks it); "
                                             f"no verdict over {self.enc.width}-bit vectors")
                    changed = True
                    break
        return live

    def transition(self, p: Property, hyp: list) -> str | None:
        for tpl in self.enc.templates:
            if p.on and not isinstance(tpl.action, p.on):
                continue
            if not self.holds(hyp, tpl, lambda a, t: _as_bool(p.predicate(self.m, self.s, a, t))):
                return type(tpl.action).__name__
        return None


def _initially(enc: WideEncoding, inv: Any) -> bool:
    if inv is None:
        return all(0 <= int(v) < (1 << enc.layout[f]) for f in enc.fields for v in getattr(enc.init, f))
    return bool(inv.predicate(enc.machine, enc.init))


def prove_wide(machine: Machine, properties: Iterable[Property], timeout: float | None = 120.0,
               assume: Iterable[Property] = ()) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verdicts per property (and ``domain``), and the encoding's summary. ``assume``: more
    ``always`` properties of the machine that join the candidate invariants (so a selection
    of properties is proved with the same strengthening as all of them) without a verdict
    of their own."""
    start = time.perf_counter()
    props = [p for p in properties if p.kind in (Kind.ALWAYS, Kind.TRANSITION)]
    chosen = {p.name for p in props}
    extra = [p for p in assume if p.kind is Kind.ALWAYS and p.name not in chosen]
    try:
        enc = WideEncoding(machine)
    except NoWideEncoding as e:
        return {p.name: Unknown(f"no wide encoding: {e}") for p in props}, {"route": "wide"}
    invs: dict[str, Any] = {"domain": None, **{p.name: p for p in [*props, *extra] if p.kind is Kind.ALWAYS}}
    verdicts: dict[str, Any] = {}
    pr = _Prover(enc, None if timeout is None else start + timeout)
    try:
        for name in [n for n in invs if not _initially(enc, invs[n])]:
            verdicts[name] = Unknown("the initial state violates it (see `paraspec check`)")
            del invs[name]
        live = pr.houdini(invs, verdicts)
        for name in live:
            verdicts[name] = Proved(1, tuple(n for n in live if n != name))
        hyp = [pr.inv(invs[n], pr.s) for n in live]
        for p in props:
            if p.kind is Kind.TRANSITION:
                bad = pr.transition(p, hyp)
                verdicts[p.name] = (Proved(1, tuple(live)) if bad is None else Unknown(
                    f"not proved at k=1 from the proved invariants ({bad}); no verdict over {enc.width}-bit vectors"))
    except _OutOfTime:
        reason = f"time limit ({timeout:g} s) over {enc.width}-bit vectors"
    except NoWideEncoding as e:
        reason = f"no wide encoding: {e}"
    else:
        reason = ""
    for name in [*invs, *(q.name for q in props)]:
        verdicts.setdefault(name, Unknown(reason))
    for p in extra:
        verdicts.pop(p.name, None)
    summary = enc.summary()
    summary["elapsed_s"] = round(time.perf_counter() - start, 4)
    return verdicts, summary
