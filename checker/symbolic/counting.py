"""Counting abstractions: the machines over vote *counts*, for every validator count n.

Validators are interchangeable in the availability rule, so a candidate's state can be
abstracted to (status, number of votes, age) with ``0 <= votes <= n`` and ``n``, the
availability period ``t``, symbolic: one abstract transition system stands for every
validator count. A machine declares its abstractions (``Machine.counting_models``,
plain data: :class:`paraspec.model.proofs.CountingModel`); their transitions call the
machine's own rule methods (``counts_bit``, ``is_available`` ...) on the symbolic values
this module supplies — a :class:`Count` of votes answers ``bit_count()`` with the
symbolic count — so a mutant that changes a rule changes the abstraction. That an
abstraction over-approximates the bit-level machine is checked explicitly at small n
(:func:`check_soundness`): every transition the explicit engine takes maps to an
abstract transition, per para.

With it, "a candidate is available (enacted) only with more than 2/3 of the bits" is
proved for every n ≥ 1 by induction over the abstraction (lemmas in ``all_lemmas``).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import attrs
import z3

from paraspec.model.core import Machine, Rejected
from paraspec.model.proofs import CountingModel

__all__ = ["ZInt", "ZBool", "Count", "CountingModel", "SYM", "counting_models", "symbolic_instance",
           "check_soundness", "counting_obligations"]


class CannotBranch(Exception):
    """A rule branched on a symbolic condition: the counting abstraction cannot follow it."""


def _z(x: Any) -> Any:
    if isinstance(x, (ZInt, ZBool)):
        return x.t
    if isinstance(x, bool):
        return z3.BoolVal(x)
    if isinstance(x, int):
        return z3.IntVal(int(x))
    return x


class ZBool:
    """A Z3 Boolean that refuses to be used as a Python truth value (z3's own terms
    would silently compare structurally)."""

    __slots__ = ("t",)

    def __init__(self, t):
        self.t = t

    def __bool__(self):
        raise CannotBranch("a rule branched on a symbolic condition")

    def __and__(self, o):
        return ZBool(z3.And(self.t, _z(o)))

    __rand__ = __and__

    def __or__(self, o):
        return ZBool(z3.Or(self.t, _z(o)))

    __ror__ = __or__

    def __invert__(self):
        return ZBool(z3.Not(self.t))

    def __eq__(self, o):
        return ZBool(self.t == _z(o))

    def __ne__(self, o):
        return ZBool(self.t != _z(o))

    __hash__ = None


class ZInt:
    """An unbounded symbolic integer (Z3 ``Int``) for rule methods."""

    __slots__ = ("t",)

    def __init__(self, t):
        self.t = t

    def _op(self, o, f, rev=False):
        if not isinstance(o, (ZInt, int)):
            return NotImplemented
        a, b = (_z(o), self.t) if rev else (self.t, _z(o))
        return ZInt(f(a, b))

    def __add__(self, o):
        return self._op(o, lambda a, b: a + b)

    def __radd__(self, o):
        return self._op(o, lambda a, b: a + b, True)

    def __sub__(self, o):
        return self._op(o, lambda a, b: a - b)

    def __rsub__(self, o):
        return self._op(o, lambda a, b: a - b, True)

    def __mul__(self, o):
        return self._op(o, lambda a, b: a * b)

    def __rmul__(self, o):
        return self._op(o, lambda a, b: a * b, True)

    def __floordiv__(self, o):
        return self._op(o, lambda a, b: a / b)

    def __mod__(self, o):
        return self._op(o, lambda a, b: a % b)

    def _cmp(self, o, f):
        if not isinstance(o, (ZInt, int)):
            return NotImplemented
        return ZBool(f(self.t, _z(o)))

    def __eq__(self, o):
        return self._cmp(o, lambda a, b: a == b) if isinstance(o, (ZInt, int)) else False

    def __ne__(self, o):
        return self._cmp(o, lambda a, b: a != b) if isinstance(o, (ZInt, int)) else True

    def __lt__(self, o):
        return self._cmp(o, lambda a, b: a < b)

    def __le__(self, o):
        return self._cmp(o, lambda a, b: a <= b)

    def __gt__(self, o):
        return self._cmp(o, lambda a, b: a > b)

    def __ge__(self, o):
        return self._cmp(o, lambda a, b: a >= b)

    def __bool__(self):
        raise CannotBranch("a rule branched on a symbolic integer")

    def __index__(self):
        raise CannotBranch("a rule needed a concrete integer")

    __hash__ = None


class Count:
    """A set of validators known only by its size: what the rules read of a vote bitmask."""

    __slots__ = ("n",)

    def __init__(self, n: ZInt):
        self.n = n

    def bit_count(self) -> ZInt:
        return self.n


def _b(x: Any) -> Any:
    """A rule's answer as a Z3 Boolean."""
    if isinstance(x, ZBool):
        return x.t
    if isinstance(x, bool):
        return z3.BoolVal(x)
    if isinstance(x, z3.BoolRef):
        return x
    raise CannotBranch(f"a rule returned {type(x).__name__}, not a Boolean")


class _Toolkit:
    """What a declared counting model calls to hand symbolic values to rule methods (the
    ``sym`` argument, see :class:`paraspec.model.proofs.CountingModel`)."""

    @staticmethod
    def int(x: Any) -> ZInt:
        """An integer a rule may compute with but not branch on."""
        return ZInt(x)

    @staticmethod
    def count(c: Any) -> Count:
        """A set of ``c`` validators (a vote bitmask known only by its size)."""
        return Count(ZInt(c))

    @staticmethod
    def truth(answer: Any) -> Any:
        """A rule's answer as a Z3 Boolean (refused when it is not a Boolean)."""
        return _b(answer)


SYM = _Toolkit()


def symbolic_instance(machine_cls: type, config, **fields: Any):
    """An instance of ``machine_cls`` whose configuration fields are symbolic."""
    m = machine_cls.__new__(machine_cls)
    m.config = attrs.evolve(config, **{k: ZInt(v) for k, v in fields.items()})
    return m


def counting_models() -> list[tuple[type[Machine], CountingModel]]:
    """``(machine class, model)`` for every counting model a machine declares, by machine name."""
    from ..registry import get_machine_class, machine_names

    return [(cls, cm) for cls in map(get_machine_class, machine_names()) for cm in cls.counting_models()]


def _variables(cm: CountingModel, tag: str) -> dict[str, Any]:
    return {f: z3.Int(f"{tag}.{f}") for f in cm.fields}


def counting_obligations(cm: CountingModel, machine_cls: type, config) -> list[tuple[str, tuple, Any]]:
    """``(label, premises, goal)``: the induction proving ``cm``'s property for every value
    of its parameters (at least their least values), for ``machine_cls``'s rules."""
    p = {name: z3.Int(name) for name in cm.parameters}
    m = symbolic_instance(machine_cls, config, **p)
    s, s2 = _variables(cm, "s"), _variables(cm, "s'")
    params = tuple(p[name] >= least for name, least in cm.parameters.items())
    inv, inv2 = cm.inv(m, s, p, SYM), cm.inv(m, s2, p, SYM)
    tr = cm.trans(m, s, s2, p, SYM)
    return [
        ("initial states satisfy the invariant", params + (cm.init(s),), inv),
        ("the invariant is inductive", params + (inv, tr), inv2),
        ("every step from the invariant is safe", params + (inv, tr), cm.safe(m, s, s2, p, SYM)),
    ]


def check_soundness(cm: CountingModel, machine, states: Iterable[Any]) -> tuple[int, list[str]]:
    """Every transition of ``machine`` from ``states`` maps, per para/core, to an abstract
    transition (with the parameters the machine's), and initial states to abstract initial
    states. Returns (distinct abstract steps checked, problems)."""
    cfg = machine.config
    p = {name: z3.IntVal(getattr(cfg, name)) for name in cm.parameters}
    m = symbolic_instance(type(machine), cfg, **p)
    s, s2 = _variables(cm, "s"), _variables(cm, "s'")
    tr = cm.trans(m, s, s2, p, SYM)
    solver = z3.Solver()
    solver.add(tr)
    seen: dict[tuple, bool] = {}
    problems: list[str] = []

    def ok(a: dict, b: dict | None) -> bool:
        key = (tuple(sorted(a.items())), None if b is None else tuple(sorted(b.items())))
        if key not in seen:
            if b is None:
                f = cm.init({k: z3.IntVal(v) for k, v in a.items()})
                seen[key] = z3.is_true(z3.simplify(f))
            else:
                assume = [s[k] == v for k, v in a.items()] + [s2[k] == v for k, v in b.items()]
                seen[key] = solver.check(*assume) == z3.sat
        return seen[key]

    for init in machine.init():
        for a in cm.alpha(machine, init):
            if not ok(a, None):
                problems.append(f"initial {a} is not an abstract initial state")
    for st in states:
        src = cm.alpha(machine, st)
        for act in machine.actions(st):
            try:
                nxt = machine.step(st, act)
            except Rejected:
                continue
            dst = cm.alpha(machine, nxt) if cm.alpha_step is None else cm.alpha_step(machine, st, nxt)
            for i, (a, b) in enumerate(zip(src, dst)):
                if not ok(a, b):
                    problems.append(f"{act!r}, para/core {i}: abstract step {a} -> {b} is not allowed")
                    if len(problems) > 20:
                        return len(seen), problems
    return len(seen), problems

