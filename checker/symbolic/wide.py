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

A field may be a tuple of records (``availability``'s paras). The machine's
``auxiliary_invariants`` join the candidates. Each query asks for all live goals at once
(a model names the ones it breaks) on a fresh solver, trying a vote count as an ``Int``
sum (Z3's arithmetic) and as a bit-vector sum (bit-blasted), and, for a concrete action
still undecided, splitting on the narrow fields (statuses) so that what the step leaves
unchanged simplifies to the same term.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, Iterable

import attrs
import z3

from paraspec.model.core import Machine
from paraspec.model.logic import bitvector_constants
from paraspec.properties.core import Kind, Property

from .verdicts import Proved, Unknown

__all__ = ["WideEncoding", "wide_applicable", "prove_wide", "NoWideEncoding"]


class NoWideEncoding(Exception):
    """The machine's rules cannot be run on bit-vector terms."""


#: the least data width of the vectors (before the sign bit and the headroom): the rules'
#: constant tables (``availability``'s status-move masks, 16 bits) fit it
MIN_BITS = 16

#: inputs of ``action_space()`` the encoding enumerates at most (validators are templated, the
#: rest is not: availability's bitfields and notes range over every subset of its cores)
MAX_WIDE_ACTIONS = 100_000


def field_bits(machine: Machine):
    """The machine's layout (bits per field, ``checker.packing``), whatever its total: a machine
    whose compact code must fit 63 bits (``layout()`` is then None past that) may declare
    ``proof_layout()``, the same spec without that limit."""
    fn = getattr(machine, "proof_layout", None)
    return fn() if callable(fn) else machine.layout()


def _spec_ok(lay) -> bool:
    """Flat int fields, or tuples of records of int fields (``availability``'s paras). A tuple of
    optional records (``inclusion``'s cores, a spec of three items) is not encoded here."""
    return all(len(spec) == 2 and (isinstance(spec[1], int) or (
        isinstance(spec[1], tuple) and all(isinstance(x, int) for _, x in spec[1])))
        for spec in lay)


def wide_applicable(machine: Machine) -> bool:
    """A machine whose rules are dual-use field arithmetic with a compact layout: the
    vectorized engine's contract (``checker/vector.py``: ``action_space()``, ``guards``,
    ``effect``). ``action_space()`` holds every action of every state; were some state to
    offer fewer, the relation would over-approximate the machine, which keeps a proof sound."""
    lay = field_bits(machine) if type(machine).vectorized else None
    return (lay is not None and machine.state_class is not None and _spec_ok(lay)
            and all(callable(getattr(machine, f, None)) for f in ("action_space", "guards", "effect")))


class Ranged(z3.BitVecRef):
    """A template's validator variable, known to lie in ``lo <= v < hi`` (the template's
    condition). A comparison with a constant that this range decides is answered with a Python
    ``bool`` (true under the condition), so rule text such as ``0 <= bf.validator < n`` or
    ``a.signer == a.validator`` runs unchanged; any other comparison is a Z3 term."""

    def _dec(self, o, op):
        if o is self:
            return op in ("==", "<=", ">=")
        if isinstance(o, int) and not isinstance(o, bool):
            lo, hi = self.lo, self.hi - 1  # inclusive
            if op == "<":
                return True if hi < o else False if lo >= o else None
            if op == "<=":
                return True if hi <= o else False if lo > o else None
            if op == ">":
                return True if lo > o else False if hi <= o else None
            if op == ">=":
                return True if lo >= o else False if hi < o else None
            if op == "==":
                return False if (o < lo or o > hi) else None
            if op == "!=":
                return True if (o < lo or o > hi) else None
        return None

    def __lt__(self, o):
        d = self._dec(o, "<")
        return super().__lt__(o) if d is None else d

    def __le__(self, o):
        d = self._dec(o, "<=")
        return super().__le__(o) if d is None else d

    def __gt__(self, o):
        d = self._dec(o, ">")
        return super().__gt__(o) if d is None else d

    def __ge__(self, o):
        d = self._dec(o, ">=")
        return super().__ge__(o) if d is None else d

    def __eq__(self, o):
        d = self._dec(o, "==")
        return super().__eq__(o) if d is None else d

    def __ne__(self, o):
        d = self._dec(o, "!=")
        return super().__ne__(o) if d is None else d

    __hash__ = z3.BitVecRef.__hash__


def ranged(name: str, width: int, lo: int, hi: int) -> Ranged:
    v = z3.BitVec(name, width)
    r = Ranged(v.as_ast(), v.ctx)
    r.lo, r.hi = lo, hi
    return r


def validator_fields(machine: Machine) -> dict[type, tuple[str, ...]]:
    """Action class -> the fields that all name one validator in a well-formed action: the
    machine's proofs module may declare ``VALIDATOR_ARGS`` (``((SignBitfield, ("validator",
    "signer")),)``); else its symmetry declaration's ``validator_args``."""
    mod = machine._proofs_module() if hasattr(machine, "_proofs_module") else None
    declared = getattr(mod, "VALIDATOR_ARGS", None)
    if declared is not None:
        return {cls: tuple(fields) for cls, fields in declared}
    sym = machine.symmetry
    return {} if sym is None else {cls: (field,) for cls, field in sym.validator_args}


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
        self.layout = dict(field_bits(machine))
        params = [v for v in machine.parameter_values().values() if isinstance(v, int) and not isinstance(v, bool)]
        bits = [b for spec in self.layout.values()
                for b in ([spec] if isinstance(spec, int) else [x for _, x in spec])]
        # the sign bit and one of headroom over the widest field, every parameter and the
        # rules' small constant tables (at least MIN_BITS; a constant wider than the vectors
        # would wrap, which ``ite`` refuses)
        self.width = max([MIN_BITS, *bits, *(abs(v).bit_length() for v in params)]) + 2
        inits = list(machine.init())
        if len(inits) != 1:
            raise NoWideEncoding(f"{machine.name} has {len(inits)} initial states; one is supported")
        self.init = inits[0]
        self.fields = [f.name for f in attrs.fields(machine.state_class)]
        size_fn = getattr(machine, "action_space_size", None)
        size = size_fn() if callable(size_fn) else None
        if size is not None and size > MAX_WIDE_ACTIONS:
            raise NoWideEncoding(f"its action space of {size:,} inputs does not fit the wide encoding "
                                 f"(at most {MAX_WIDE_ACTIONS:,} are enumerated)")
        missing = [f for f in self.fields if f not in self.layout]
        if missing:
            raise NoWideEncoding(f"fields without a layout: {', '.join(missing)}")
        self.templates = self._templates()

    # -- states and actions -------------------------------------------------------------------------
    def _field(self, tag: str, f: str) -> Any:
        """A field of a symbolic state, shaped like the initial state's: an int, a tuple of ints,
        or a tuple of records (the layout's nested spec)."""
        w, spec, ex = self.width, self.layout[f], getattr(self.init, f)
        if isinstance(spec, int):
            if isinstance(ex, tuple):
                return tuple(z3.BitVec(f"{tag}.{f}[{i}]", w) for i in range(len(ex)))
            return z3.BitVec(f"{tag}.{f}", w)
        return tuple(type(r)(**{g: z3.BitVec(f"{tag}.{f}[{i}].{g}", w) for g, _ in spec}) for i, r in enumerate(ex))

    def state(self, tag: str):
        return self.machine.state_class(**{f: self._field(tag, f) for f in self.fields})

    def leaves(self, s) -> list[tuple[int, Any]]:
        """``(bits, value)`` of every integer leaf of a state (symbolic or concrete)."""
        out = []
        for f in self.fields:
            spec, x = self.layout[f], getattr(s, f)
            if isinstance(spec, int):
                out += [(spec, y) for y in x] if isinstance(x, tuple) else [(spec, x)]
            else:
                out += [(b, getattr(r, g)) for r in x for g, b in spec]
        return out

    def case_leaves(self, s, max_cases: int) -> list[Any]:
        """Narrow leaves (at most ``CASE_BITS`` bits) to split a hard query on, a field at a time
        across the records (every para's status first), while their cases number at most
        ``max_cases``."""
        ranked = []
        for f in self.fields:
            spec, x = self.layout[f], getattr(s, f)
            if isinstance(spec, int):
                ranked += [((0, i), spec, y) for i, y in enumerate(x)] if isinstance(x, tuple) else [((0, 0), spec, x)]
            else:
                ranked += [((j, i), b, getattr(r, g)) for i, r in enumerate(x) for j, (g, b) in enumerate(spec)]
        out, cases = [], 1
        for _, bits, x in sorted((r for r in ranked if r[1] <= CASE_BITS), key=lambda r: r[0]):
            if cases << bits > max_cases:
                break
            out.append((bits, x))
            cases <<= bits
        return out

    def domain(self, s) -> Any:
        """Every element of every field within its layout bits (unsigned)."""
        w = self.width
        cs = []
        for bits, x in self.leaves(s):
            cs += [x >= 0, x < z3.BitVecVal(1 << bits, w)]
        return z3.And(*cs)

    def _templates(self) -> list["Template"]:
        """The action space with each validator field of the symmetry declaration replaced
        by one bit-vector variable ``0 <= v < N``; each template keeps its concrete
        instances, for a case split when the solver gives up on the symbolic one."""
        vargs = validator_fields(self.machine)
        n = self.machine.parameter_values().get("n_validators", 0)
        out: dict[Any, Template] = {}
        for a in self.machine.action_space():
            fields = vargs.get(type(a))
            vals = {getattr(a, f) for f in fields} if fields else set()
            if not fields or len(vals) != 1 or not 0 <= next(iter(vals)) < n:
                # not a well-formed action of one validator (a forged or unknown one): itself
                out.setdefault(a, Template(a, z3.BoolVal(True), (a,)))
                continue
            key = (type(a), tuple((f.name, getattr(a, f.name)) for f in attrs.fields(type(a)) if f.name not in fields))
            if key not in out:
                v = ranged(f"{type(a).__name__}.{fields[0]}!{len(out)}", self.width, 0, n)
                # the bound as a term (the variable's own comparisons answer it with True)
                cond = z3.And(z3.BitVecRef.__ge__(v, 0), z3.BitVecRef.__lt__(v, n))
                out[key] = Template(attrs.evolve(a, **{f: v for f in fields}), cond, ())
            out[key].instances += (a,)
        return list(out.values())

    def step(self, s, a, bv_count: bool = True) -> tuple[Any, Any]:
        """``(accepted, next state)``: the machine's own guards and effect on terms
        (``bv_count``: a vote count is a bit-vector, else an ``Int``)."""
        try:
            with bitvector_constants(self.width, bv_count):
                guards = [_as_bool(c) for c, _rule, _why in self.machine.guards(s, a)]
                nxt = self.machine.effect(s, a)
        except NoWideEncoding:
            raise
        except Exception as e:  # the rule code did something bit-vectors cannot follow
            raise NoWideEncoding(f"{type(a).__name__}: {type(e).__name__}: {e}") from e
        return z3.And(*guards) if guards else z3.BoolVal(True), nxt

    def equal(self, s, values) -> Any:
        """The formula ``s == values`` (values: a concrete state of the machine)."""
        return z3.And(*[x == z3.BitVecVal(int(v), self.width)
                        for (_, x), (_, v) in zip(self.leaves(s), self.leaves(values))])

    def summary(self) -> dict[str, Any]:
        return {"route": "wide", "width_bits": self.width, "action_templates": len(self.templates)}


#: seconds the solver gets on a symbolic-validator template before the proof splits it
#: into its concrete instances (each of which simplifies to little)
SPLIT_AFTER_S = 3.0


class _OutOfTime(Exception):
    pass


def _check(formulas: list, deadline: float | None, cap: float | None = None, mode: str = "bv") -> Any:
    """A fresh solver per query (QF_BV for ``mode`` "bv": without push/pop Z3 bit-blasts the
    whole query to SAT; its incremental mode does not, and is many times slower here)."""
    left = None if deadline is None else deadline - time.perf_counter()
    if left is not None and left <= 0:
        raise _OutOfTime
    if cap is not None:
        left = cap if left is None else min(left, cap)
    solver = z3.SolverFor("QF_BV") if mode == "bv" else z3.Solver()
    solver.set("timeout", 0 if left is None else max(1, int(left * 1000)))
    solver.add(*formulas)
    r = solver.check()
    return r, (solver.model() if r == z3.sat else None)


#: the two encodings of a vote count the prover tries on each query, in turn: an ``Int`` sum
#: under Z3's default solver (its arithmetic), and a bit-vector sum bit-blasted by its QF_BV
#: solver. Each suits some queries (a bitfield's step / a block end's) and stalls on others.
MODES = ("int", "bv")
#: seconds of the first try of each mode on a query; each further round quadruples it
FIRST_TRY_S = 1.0
#: a hard query is split into the cases of the state's fields of at most this many bits
CASE_BITS = 2
#: ... into at most this many cases
MAX_CASES = 16


class _Prover:
    """1-induction over the wide encoding: Houdini over the candidate invariants, then
    the transition properties from the invariants proved."""

    def __init__(self, enc: WideEncoding, deadline: float | None, invs: dict[str, Any]):
        self.enc, self.m, self.deadline, self.invs = enc, enc.machine, deadline, invs
        self.s = enc.state("s")
        self._steps: dict[tuple, tuple] = {}
        self._hyps: dict[tuple, Any] = {}

    def step(self, a, mode: str) -> tuple[Any, Any]:
        key = (id(a), mode)
        if key not in self._steps:
            self._steps[key] = (a, *self.enc.step(self.s, a, mode == "bv"))
        return self._steps[key][1:]

    def hyp(self, names: list[str], mode: str) -> list:
        out = []
        for n in names:
            if (n, mode) not in self._hyps:
                self._hyps[n, mode] = self.inv(self.invs[n], self.s, mode)
            out.append(self._hyps[n, mode])
        return out

    def _goal(self, a, goal, mode: str) -> Any:
        acc, t = self.step(a, mode)
        try:
            with bitvector_constants(self.enc.width, mode == "bv"):
                return _as_bool(goal(a, t, mode))
        except NoWideEncoding:
            raise
        except Exception as e:  # a property did something bit-vectors cannot follow
            raise NoWideEncoding(f"a property on {type(a).__name__}: {type(e).__name__}: {e}") from e

    def _query(self, names: list[str], cond: Any, a: Any, goals: dict[str, Any], symbolic: bool):
        """``(result, mode, falsified)`` of hyp ∧ cond ∧ step ∧ ¬(every goal), trying each count
        encoding in turn with a growing time limit (a symbolic template gives up after
        ``SPLIT_AFTER_S`` per mode); ``falsified(formula)``: whether the model found (when
        sat) makes a formula false. A concrete action the solver finds hard is split into the
        cases of the state's narrow fields (a status: each value substituted and simplified,
        so that what the step leaves unchanged is the same term again)."""
        caps = [FIRST_TRY_S, SPLIT_AFTER_S] if symbolic else [FIRST_TRY_S]
        for cap in caps:
            for mode in MODES:
                r, f = self._ask(names, cond, a, goals, mode, cap, [])
                if r != z3.unknown:
                    return r, mode, f
        if symbolic:
            return z3.unknown, None, None
        narrow = self.enc.case_leaves(self.s, MAX_CASES)
        for cap in [4 * FIRST_TRY_S, 16 * FIRST_TRY_S, None]:
            for mode in MODES:
                unknown = False
                for values in itertools.product(*[range(1 << bits) for bits, _ in narrow]):
                    sub = [(x, z3.BitVecVal(v, self.enc.width)) for (_, x), v in zip(narrow, values)]
                    r, f = self._ask(names, cond, a, goals, mode, cap, sub)
                    if r == z3.sat:
                        return r, mode, f
                    unknown |= r == z3.unknown
                if not unknown:
                    return z3.unsat, mode, None
        return z3.unknown, None, None

    def _ask(self, names, cond, a, goals, mode, cap, sub):
        acc, _ = self.step(a, mode)
        left = [self._goal(a, g, mode) for g in goals.values()]
        fs = [*self.hyp(names, mode), cond, acc, z3.Not(z3.And(*left))]
        if sub:
            fs = [z3.simplify(z3.substitute(f, *sub)) for f in fs]
        r, model = _check(fs, self.deadline, cap, mode)
        if r == z3.unknown and self.deadline is not None and time.perf_counter() >= self.deadline:
            raise _OutOfTime

        def falsified(g):
            return z3.is_false(model.eval(z3.substitute(g, *sub) if sub else g, model_completion=True))
        return r, falsified

    def _failing(self, names: list[str], cond: Any, a: Any, goals: dict[str, Any]) -> set[str] | None:
        """The goals some step of ``a`` (under ``cond``) from a state satisfying the invariants
        ``names`` breaks: one query for all of them; a model names the goals it breaks, the rest
        are asked again. None: the solver gave up."""
        left = dict(goals)
        failed: set[str] = set()
        symbolic = cond is not None and not z3.is_true(cond)
        while left:
            r, mode, falsified = self._query(names, cond, a, left, symbolic)
            if r == z3.unknown:
                return None
            if r == z3.unsat:
                break
            bad = {n for n, g in left.items() if falsified(self._goal(a, g, mode))}
            assert bad, "a model of the negated conjunction breaks one of its goals"
            failed |= bad
            for n in bad:
                del left[n]
        return failed

    def failing(self, names: list[str], tpl: Template, goals: dict[str, Any]) -> set[str]:
        """The goals some step of the template breaks; a template the solver gives up on is
        split into its concrete instances (a goal an instance leaves undecided counts as broken:
        no verdict)."""
        r = self._failing(names, tpl.cond, tpl.action, goals)
        if r is not None:
            return r
        out: set[str] = set()
        for a in tpl.instances:
            r = self._failing(names, z3.BoolVal(True), a, {n: g for n, g in goals.items() if n not in out})
            out |= set(goals) if r is None else r
        return out

    def inv(self, inv: Any, x, mode: str) -> Any:
        if inv is None:
            return self.enc.domain(x)
        try:
            with bitvector_constants(self.enc.width, mode == "bv"):
                return _as_bool(inv.predicate(self.m, x))
        except NoWideEncoding:
            raise
        except Exception as e:
            raise NoWideEncoding(f"{inv.name}: {type(e).__name__}: {e}") from e

    def houdini(self, verdicts: dict[str, Any]) -> list[str]:
        live = list(self.invs)
        changed = True
        while changed:
            changed = False
            goals = {n: (lambda a, t, mode, n=n: self.inv(self.invs[n], t, mode)) for n in live}
            for tpl in self.enc.templates:
                bad = self.failing(live, tpl, goals)
                if bad:
                    for name in bad:
                        live.remove(name)
                        verdicts[name] = Unknown(f"not inductive at k=1 ({type(tpl.action).__name__} breaks it); "
                                                 f"no verdict over {self.enc.width}-bit vectors")
                    changed = True
                    break
        return live

    def transitions(self, props: list[Property], names: list[str]) -> dict[str, str]:
        """Transition property -> the action class of a step from the invariants ``names`` that
        breaks it."""
        out: dict[str, str] = {}
        for tpl in self.enc.templates:
            goals = {p.name: (lambda a, t, mode, p=p: p.predicate(self.m, self.s, a, t)) for p in props
                     if p.name not in out and not (p.on and not isinstance(tpl.action, p.on))}
            if goals:
                for name in self.failing(names, tpl, goals):
                    out[name] = type(tpl.action).__name__
        return out


def _initially(enc: WideEncoding, inv: Any) -> bool:
    if inv is None:
        return all(0 <= int(v) < (1 << b) for b, v in enc.leaves(enc.init))
    return bool(inv.predicate(enc.machine, enc.init))


@attrs.frozen
class _Aux:
    """A machine's auxiliary invariant (``Machine.auxiliary_invariants``) as a candidate."""

    name: str
    fn: Any
    kind: Kind = Kind.ALWAYS

    def predicate(self, m, s):
        return self.fn(m, s)


def prove_wide(machine: Machine, properties: Iterable[Property], timeout: float | None = 120.0,
               assume: Iterable[Property] = (), aux: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verdicts per property (and ``domain``), and the encoding's summary. ``assume``: more
    ``always`` properties of the machine that join the candidate invariants (so a selection
    of properties is proved with the same strengthening as all of them) without a verdict
    of their own. ``aux``: the machine's auxiliary invariants (``Machine.auxiliary_invariants``,
    written in the dual-use arithmetic) join the candidates too, each with a verdict row."""
    start = time.perf_counter()
    props = [p for p in properties if p.kind in (Kind.ALWAYS, Kind.TRANSITION)]
    chosen = {p.name for p in props}
    extra = [p for p in assume if p.kind is Kind.ALWAYS and p.name not in chosen]
    extra_aux = [_Aux(i.name, i.fn) for i in machine.auxiliary_invariants()] if aux else []
    try:
        enc = WideEncoding(machine)
    except NoWideEncoding as e:
        return {p.name: Unknown(f"no wide encoding: {e}") for p in props}, {"route": "wide"}
    invs: dict[str, Any] = {"domain": None, **{p.name: p for p in [*props, *extra, *extra_aux]
                                               if p.kind is Kind.ALWAYS}}
    verdicts: dict[str, Any] = {}
    pr = _Prover(enc, None if timeout is None else start + timeout, invs)
    try:
        for name in [n for n in invs if not _initially(enc, invs[n])]:
            verdicts[name] = Unknown("the initial state violates it (see `paraspec check`)")
            del invs[name]
        live = pr.houdini(verdicts)
        for name in live:
            verdicts[name] = Proved(1, tuple(n for n in live if n != name))
        trans = [p for p in props if p.kind is Kind.TRANSITION]
        broken = pr.transitions(trans, live)
        for p in trans:
            bad = broken.get(p.name)
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
