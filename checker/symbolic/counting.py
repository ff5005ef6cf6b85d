"""Counting abstractions: the machines over vote *counts*, for every validator count n.

Validators are interchangeable in the availability rule, so a candidate's state can be
abstracted to (status, number of votes, age) with ``0 <= votes <= n`` and ``n``, the
availability period ``t``, symbolic: one abstract transition system stands for every
validator count. Its transitions call the machine's own rule methods
(``counts_bit``, ``is_available``, ``is_timed_out``, ``may_note``) on Z3 terms — a
:class:`Count` of votes answers ``bit_count()`` with the symbolic count — so a mutant
that changes a rule changes the abstraction. The skeleton of the transitions (what a
bitfield and a block do to one candidate) is written here; that it over-approximates the
bit-level machine is checked explicitly at small n (:func:`check_soundness`): every
transition the explicit engine takes maps to an abstract transition, per para.

With it, "a candidate is available (enacted) only with more than 2/3 of the bits" is
proved for every n ≥ 1 by induction over the abstraction (lemmas in ``all_counting``).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import attrs
import z3

from paraspec.model.availability import ParaAvailability, Status
from paraspec.model.core import Rejected
from paraspec.model.thresholds import is_more_than_two_thirds

__all__ = ["ZInt", "ZBool", "Count", "CountingModel", "AVAILABILITY", "INCLUSION", "MODELS", "symbolic_instance",
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
    raise CannotBranch(f"a rule returned {type(x).__name__}, not a Boolean")


def symbolic_instance(machine_cls: type, config, **fields: Any):
    """An instance of ``machine_cls`` whose configuration fields are symbolic."""
    m = machine_cls.__new__(machine_cls)
    m.config = attrs.evolve(config, **{k: ZInt(v) for k, v in fields.items()})
    return m


@attrs.frozen
class CountingModel:
    """A counting abstraction of one machine: per para/core, (status-or-presence, votes, age)."""

    name: str
    machine: str
    rules: tuple[str, ...]
    doc: str
    #: fn(m, cur, nxt, n) -> Z3 formula: the abstract transition (per para / core)
    trans: Callable = attrs.field(repr=False)
    #: fn(cur) -> Z3 formula: the abstract initial state
    init: Callable = attrs.field(repr=False)
    #: fn(m, cur, n) -> Z3 formula: the invariant proved for every n
    inv: Callable = attrs.field(repr=False)
    #: fn(m, cur, nxt, n) -> Z3 formula: the transition property proved for every n
    safe: Callable = attrs.field(repr=False)
    #: fn(machine, state) -> list of abstract states (one per para/core), concrete ints
    alpha: Callable = attrs.field(repr=False)
    #: variable names of an abstract state (Z3 Ints) and of an abstract step
    fields: tuple[str, ...] = ("st", "c", "age")

    def variables(self, tag: str) -> dict[str, Any]:
        return {f: z3.Int(f"{tag}.{f}") for f in self.fields}


# -- availability (seed 003 §1.7): one para's candidate ---------------------------------------------


def _av_para(st, c, age) -> ParaAvailability:
    return ParaAvailability(status=ZInt(st), votes=Count(ZInt(c)), age=ZInt(age))


def _av_trans(m, s, s2, n):
    st, c, age = s["st"], s["c"], s["age"]
    p = _av_para(st, c, age)
    stay = z3.And(s2["st"] == st, s2["c"] == c, s2["age"] == age)
    # a bitfield with the para's bit from a validator not counted yet (AV-9: only while
    # the rule lets the bit count)
    vote = z3.And(_b(m.counts_bit(p)), c < n, s2["st"] == st, s2["c"] == c + 1, s2["age"] == age)
    # a block ends (Algorithm 10 steps 2-5, as end_block does per para)
    decided = z3.Or(st == int(Status.AVAILABLE), st == int(Status.UNAVAILABLE))
    tbd = st == int(Status.TO_BE_DETERMINED)
    age1 = age + 1
    avail = _b(m.is_available(Count(ZInt(c))))
    timed = _b(m.is_timed_out(ZInt(age1)))
    st1 = z3.If(decided, int(Status.NO_CANDIDATE),
                z3.If(tbd, z3.If(avail, int(Status.AVAILABLE), z3.If(timed, int(Status.UNAVAILABLE), st)), st))
    c1 = z3.If(decided, 0, c)
    a1 = z3.If(decided, 0, z3.If(tbd, age1, age))
    end = z3.And(s2["st"] == st1, s2["c"] == c1, s2["age"] == a1)
    may = _b(m.may_note(_av_para(st1, c1, a1)))
    end_note = z3.And(may, s2["st"] == int(Status.TO_BE_DETERMINED), s2["c"] == 0, s2["age"] == 0)
    return z3.Or(stay, vote, end, end_note)


def _av_init(s):
    return z3.And(s["st"] == int(Status.NO_CANDIDATE), s["c"] == 0, s["age"] == 0)


def _av_inv(m, s, n):
    st, c = s["st"], s["c"]
    return z3.And(st >= 0, st <= 3, c >= 0, c <= n, s["age"] >= 0,
                  z3.Implies(st == int(Status.AVAILABLE), _b_plain(is_more_than_two_thirds(c, n))))


def _b_plain(x):
    return x if isinstance(x, z3.BoolRef) else z3.BoolVal(bool(x))


def _av_safe(m, s, s2, n):
    return z3.Implies(s2["st"] == int(Status.AVAILABLE), is_more_than_two_thirds(s2["c"], n))


def _av_alpha(m, state):
    return [{"st": int(p.status), "c": p.votes.bit_count(), "age": p.age} for p in state.paras]


AVAILABILITY = CountingModel(
    "availability_counting_available_above_two_thirds", "availability", ("AV-6", "AV-9", "TH-2"),
    "For every n ≥ 1 and availability period t ≥ 1: in the counting abstraction of the availability "
    "machine (status, votes 0..n, age per candidate), a candidate is available only with more than 2/3 "
    "of the n validators' bits.",
    _av_trans, _av_init, _av_inv, _av_safe, _av_alpha)


# -- inclusion (seed 003 §2.5.6): one availability core ---------------------------------------------------


def _inc_trans(m, s, s2, n):
    """Per core: present (st = 1) with votes c and age, or free (st = 0); ``s2["enacted"]``
    is 1 when the step enacted the core's candidate."""
    st, c, age = s["st"], s["c"], s["age"]
    stay = z3.And(s2["st"] == st, s2["c"] == c, s2["age"] == age, s2["enacted"] == 0)
    vote = z3.And(st == 1, c < n, s2["st"] == 1, s2["c"] == c + 1, s2["age"] == age, s2["enacted"] == 0)
    age1 = age + 1
    avail = _b(m.is_available(Count(ZInt(c))))
    timed = _b(m.is_timed_out(ZInt(age1)))
    present = st == 1
    enacted = z3.And(present, avail)
    freed = z3.And(present, z3.Or(avail, timed))
    st1 = z3.If(freed, 0, st)
    c1 = z3.If(freed, 0, c)
    a1 = z3.If(freed, 0, z3.If(present, age1, age))
    block = z3.And(s2["st"] == st1, s2["c"] == c1, s2["age"] == a1, s2["enacted"] == z3.If(enacted, 1, 0))
    back = z3.And(st1 == 0, s2["st"] == 1, s2["c"] == 0, s2["age"] == 0, s2["enacted"] == z3.If(enacted, 1, 0))
    return z3.Or(stay, vote, block, back)


def _inc_init(s):
    return z3.And(s["st"] == 0, s["c"] == 0, s["age"] == 0)


def _inc_inv(m, s, n):
    return z3.And(z3.Or(s["st"] == 0, s["st"] == 1), s["c"] >= 0, s["c"] <= n, s["age"] >= 0,
                  z3.Implies(s["st"] == 0, s["c"] == 0))


def _inc_safe(m, s, s2, n):
    return z3.Implies(s2["enacted"] == 1, is_more_than_two_thirds(s["c"], n))


def _inc_alpha(m, state):
    return [{"st": 0, "c": 0, "age": 0} if core is None else {"st": 1, "c": core.votes.bit_count(), "age": core.age}
            for core in state.cores]


INCLUSION = CountingModel(
    "inclusion_counting_enacted_above_two_thirds", "inclusion", ("INC-7", "AV-6", "TH-2"),
    "For every n ≥ 1 and availability period t ≥ 1: in the counting abstraction of the inclusion machine "
    "(per core: free, or pending with votes 0..n and an age), a candidate is enacted only with more than "
    "2/3 of the n validators' availability bits.",
    _inc_trans, _inc_init, _inc_inv, _inc_safe, _inc_alpha, ("st", "c", "age", "enacted"))

MODELS = {cm.machine: cm for cm in (AVAILABILITY, INCLUSION)}


def counting_obligations(cm: CountingModel, machine_cls: type, config) -> list[tuple[str, tuple, Any]]:
    """``(label, premises, goal)``: the induction proving ``cm``'s property for every n ≥ 1."""
    n, t = z3.Ints("n t")
    m = symbolic_instance(machine_cls, config, n_validators=n, chain_availability_period=t)
    s, s2 = cm.variables("s"), cm.variables("s'")
    params = (n >= 1, t >= 1)
    inv, inv2 = cm.inv(m, s, n), cm.inv(m, s2, n)
    tr = cm.trans(m, s, s2, n)
    return [
        ("initial states satisfy the invariant", params + (cm.init(s),), inv),
        ("the invariant is inductive", params + (inv, tr), inv2),
        ("every step from the invariant is safe", params + (inv, tr), cm.safe(m, s, s2, n)),
    ]


def check_soundness(cm: CountingModel, machine, states: Iterable[Any]) -> tuple[int, list[str]]:
    """Every transition of ``machine`` from ``states`` maps, per para/core, to an abstract
    transition (with n and t the preset's), and initial states to abstract initial
    states. Returns (distinct abstract steps checked, problems)."""
    cfg = machine.config
    n, t = cfg.n_validators, cfg.chain_availability_period
    m = symbolic_instance(type(machine), cfg, n_validators=z3.IntVal(n), chain_availability_period=z3.IntVal(t))
    s, s2 = cm.variables("s"), cm.variables("s'")
    tr = cm.trans(m, s, s2, z3.IntVal(n))
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
            dst = cm.alpha(machine, nxt)
            for i, (a, b) in enumerate(zip(src, dst)):
                if cm.machine == "inclusion":
                    b = dict(b, enacted=_enacted(st, nxt, i))
                if not ok(a, b):
                    problems.append(f"{act!r}, para/core {i}: abstract step {a} -> {b} is not allowed")
                    if len(problems) > 20:
                        return len(seen), problems
    return len(seen), problems


def _enacted(s, t, core: int) -> int:
    """Whether the inclusion step enacted the candidate on ``core`` (its para's last exit is INCLUDED)."""
    from paraspec.model.inclusion import Outcome

    c = s.cores[core]
    if c is None:
        return 0
    p = c.para
    return int(t.exits[p] != s.exits[p] and t.last_exit[p] == Outcome.INCLUDED and t.cores[core] != c)
