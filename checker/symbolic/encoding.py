"""Symbolic encodings of machines: the transition relation as Z3 formulas.

The encoding is obtained by running the machine's own code on symbolic states
(:mod:`checker.symbolic.symexec`), so it is the model's rules evaluated on Z3 terms,
mutants included. For a machine instance it holds:

* the *schema* of the state (one bit-vector variable per leaf) and its *domain*;
* the *alphabet*: every action ``actions(s)`` can yield for some state of the domain,
  found by exploring ``actions`` symbolically;
* for each action ``a`` of the alphabet: ``enabled_a(x)`` (``a ∈ actions(x)``),
  ``accepted_a(x)``, the next state as one term per leaf, the rejection rule per
  path, and the conditions under which ``step`` raises (a model bug) or leaves the bit
  width;
* for each property: a formula over one state (``always``, ``sometimes``, witnesses)
  or, for a ``transition`` property, the formula "every enabled action's transition
  satisfies it" over the source state.

Formulas are built once over generic variables ``x`` (current state) and ``y`` (next
state) and instantiated per step by substitution. The transition at step ``i`` has a
selector ``act!i``; ``fired(i, name)`` Booleans name the action that fired, so a Z3 model
says which action was taken.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

import attrs
import z3

from paraspec.model.core import Machine, Rejected
from paraspec.properties.core import Kind, Property

from .domains import domain_for
from .schema import NoEncoding, Schema, derive_schema
from .symexec import (
    WIDTH,
    ExplorationLimit,
    Explorer,
    Path,
    Space,
    SymBool,
    SymInt,
    Unsupported,
    WidthOverflow,
    mk_and,
    mk_or,
    modules_of,
    to_bool,
)

__all__ = ["MachineEncoding", "StepEncoding", "encode", "NoEncoding", "SEL_WIDTH", "action_label",
           "no_encoding_reason"]

SEL_WIDTH = 16


def no_encoding_reason(e: Exception) -> str:
    """Why the symbolic engine could not encode something, from what it raised."""
    if isinstance(e, ExplorationLimit):
        return f"exploration limit: {e}"
    if isinstance(e, WidthOverflow):
        return f"a value leaves the {WIDTH}-bit symbolic width: {e}"
    return str(e) or type(e).__name__


def action_label(a: Any) -> str:
    if attrs.has(type(a)):
        args = ",".join(f"{f.name}={getattr(a, f.name)}" for f in attrs.fields(type(a)))
        return f"{type(a).__name__}({args})"
    return repr(a)


def _concrete_action(a: Any) -> Any:
    """Rebuild an action whose fields are symbolic with concrete values (a decision)."""
    if attrs.has(type(a)):
        changes = {}
        for f in attrs.fields(type(a)):
            v = getattr(a, f.name)
            if isinstance(v, SymInt):
                changes[f.name] = v.__index__()
            elif isinstance(v, SymBool):
                changes[f.name] = bool(v)
        return attrs.evolve(a, **changes) if changes else a
    return a


def _any(conds: list) -> Any:
    if not conds:
        return z3.BoolVal(False)
    return conds[0] if len(conds) == 1 else z3.Or(*conds)


@attrs.define
class StepEncoding:
    """``step(x, action)`` for one action of the alphabet, over the generic state ``x``."""

    action: Any
    label: str
    enabled: Any
    accepted: Any
    #: leaf path -> next-state term (valid where ``accepted`` holds)
    next: dict[str, Any]
    #: (condition, rule ID) per rejecting path
    rejections: list[tuple[Any, str]]
    #: (condition, message) per path where ``step`` raises (a model bug)
    errors: list[tuple[Any, str]]
    #: condition under which a value leaves the bit width
    width: Any
    paths: int = 0


def _recording_instance(machine: Machine) -> tuple[Machine, set[str]]:
    """A copy of ``machine`` that records the names of the attributes its code reads
    (methods called, fields read), so an encoding can tell which parts of it a mutant,
    which overrides some names, can change."""
    base = type(machine)
    names: set[str] = set()

    class Recording(base):  # type: ignore[misc, valid-type]
        def __getattribute__(self, name):
            names.add(name)
            return base.__getattribute__(self, name)

    Recording.__name__ = base.__name__
    Recording.__qualname__ = base.__qualname__
    inst = Recording.__new__(Recording)
    inst.__dict__.update(machine.__dict__)
    return inst, names


def overridden_names(cls: type, base: type) -> set[str]:
    """Names a (mutant) subclass defines between itself and ``base``."""
    out: set[str] = set()
    for c in cls.__mro__:
        if c is base:
            break
        out |= set(vars(c))
    return out - {"__module__", "__doc__", "__qualname__", "mutant_name", "__dict__", "__weakref__"}


class MachineEncoding:
    """The symbolic encoding of one machine instance (a preset, maybe a mutant).

    A mutant's encoding reuses the parts of its base machine's encoding (``base``)
    whose code never read a name the mutant overrides: the base encoding records, per
    part (``actions``, ``step`` of each action, each property formula), the attributes
    of the machine its code read.
    """

    def __init__(self, machine: Machine, time_limit: float | None = None, max_paths: int = 50_000,
                 base: "MachineEncoding | None" = None):
        # the engine's boundary: whatever stops the encoding from being built is a NoEncoding
        # (with the reason), which the provers report as an unknown verdict per item
        try:
            self._build(machine, time_limit, max_paths, base)
        except (Unsupported, ExplorationLimit, WidthOverflow) as e:
            raise NoEncoding(no_encoding_reason(e)) from None

    def _build(self, machine: Machine, time_limit: float | None, max_paths: int,
               base: "MachineEncoding | None") -> None:
        start = time.perf_counter()
        self.machine = machine
        #: names read per part (base encodings only) and the base this one reuses
        self.reads: dict[tuple, frozenset[str]] = {}
        self.base = None
        self.overridden: set[str] = set()
        self.reused = 0
        if base is not None and base.machine.config == machine.config and isinstance(machine, type(base.machine)):
            self.overridden = overridden_names(type(machine), type(base.machine))
            if "__init__" not in self.overridden and machine.__dict__.keys() == base.machine.__dict__.keys():
                self.base = base
        if base is None and machine.mutant_name is None:
            self._m, self._names = _recording_instance(machine)
        else:
            self._m, self._names = machine, None
        self.deadline = None if time_limit is None else start + time_limit
        self.max_paths = max_paths
        inits = list(machine.init())
        if not inits:
            raise NoEncoding("the machine has no initial state")
        self.schema: Schema = derive_schema(inits[0])
        for s in inits:
            try:
                self.schema.flatten_concrete(s)  # every initial state has the same shape
            except Unsupported as e:
                raise NoEncoding(f"the initial states differ in shape ({e}); the schema takes tuple "
                                 "lengths from the first one") from None
        self.bounds, self.inferred_domain = domain_for(machine, self.schema, deadline=self.deadline)
        self.x = self.schema.variables("x!")
        self.y = self.schema.variables("y!")
        self.dom_x = z3.And(*self.schema.domain(self.x, self.bounds))
        self.inits = [self.schema.flatten_concrete(s) for s in inits]
        for s, flat in zip(inits, self.inits):
            bad = [p for p, v in flat.items() if p in self.bounds and not self.bounds[p][0] <= v <= self.bounds[p][1]]
            if bad:
                raise NoEncoding(f"initial state {s!r}: {bad[0]} = {flat[bad[0]]} is outside its domain "
                                 f"{self.bounds[bad[0]]}")
        self.init_x = z3.Or(*[self.schema.is_value(self.x, v) for v in self.inits])
        self.modules = modules_of(machine)
        self.explored_paths = 0
        self._unions: dict[tuple, Any] = {}
        self._per_action: dict[tuple, Any] = {}
        self._domains()
        self._build_actions()
        self.base_alphabet = set(self.base.alphabet) if self.base is not None else set()
        self.steps: list[StepEncoding] = [self._build_step(a) for a in self.alphabet]
        self.labels = [s.label for s in self.steps]
        self._props: dict[tuple[str, str], Any] = {}
        self.build_time = time.perf_counter() - start

    def set_deadline(self, deadline: float | None) -> None:
        """The deadline (``time.perf_counter()`` value) of the run now using this encoding: the
        parts built on first use (property formulas), here and on the base machine's encoding,
        stop at it. An encoding is cached across runs, so the deadline of the run that built
        it must not bind a later one."""
        self.deadline = deadline
        if self.base is not None:
            self.base.set_deadline(deadline)

    # -- reuse of the base machine's parts ------------------------------------------------------
    def _reusable(self, key: tuple, on_base=None) -> bool:
        if self.base is None:
            return False
        if key not in self.base.reads and on_base is not None:
            on_base()  # compute the part on the base machine first (it is cached there)
        if key not in self.base.reads:
            return False
        ok = not (self.base.reads[key] & self.overridden)
        self.reused += ok
        return ok

    def _recorded(self, key: tuple, fn):
        """Run ``fn()`` recording the machine attributes it reads under ``key``."""
        if self._names is None:
            return fn()
        outer = set(self._names)
        self._names.clear()
        out = fn()
        self.reads[key] = frozenset(self._names)
        self._names.update(outer)
        return out

    # -- exploration helpers ---------------------------------------------------------------
    def _domains(self) -> None:
        vals = self.schema.leaf_values(self.bounds)
        optionals = [(f"x!{flag}", [f"x!{p}" for p in inner]) for flag, inner in self.schema.optionals()]
        self.space = Space({f"x!{p}": v for p, v in vals.items()}, optionals)

    def explorer(self, space: Space | None = None) -> Explorer:
        return Explorer(space or self.space, self.modules, max_paths=self.max_paths, deadline=self.deadline)

    def union(self, paths: list[Path]) -> Any:
        """Where any of the paths runs, as a formula."""
        key = tuple(id(p) for p in paths)
        got = self._unions.get(key)
        if got is None:
            got = (paths, self.space.union_formula([p.region for p in paths]))
            self._unions[key] = got  # the paths are kept, so their ids stay unique
        return got[1]

    def truth(self, paths: list[Path], space: Space | None = None) -> Any:
        """Where the paths return a true value (paths returning a symbolic Boolean
        contribute that Boolean on their region)."""
        regions, extra = [], []
        for p in paths:
            v = p.value
            if isinstance(v, (SymBool, SymInt)):
                extra.append(mk_and([p.cond, to_bool(v)]))
            elif v:
                regions.append(p.region)
        f = (space or self.space).union_formula(regions)
        return mk_or([f] + extra) if extra else f

    def _explore(self, fn, space: Space | None = None) -> list[Path]:
        ex = self.explorer(space)
        self._current = ex
        try:
            paths = ex.explore(fn)
        except Unsupported as e:
            raise NoEncoding(f"{e}{author_place(e)}") from None
        except ExplorationLimit as e:
            raise NoEncoding(f"exploration limit: {e}") from None
        self.explored_paths += len(paths)
        for p in paths:
            if p.kind == "unsupported":  # pragma: no cover - raised above
                raise NoEncoding(str(p.value))
        return paths

    def state(self, which: str = "x"):
        """Inside an exploration: the symbolic current (``x``) or next (``y``) state."""
        ex = self._current
        return self.schema.build_symbolic(lambda path: ex.variable(f"{which}!{path}"))

    # -- actions ----------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        if self._reusable(("actions",)):
            b = self.base
            self.alphabet, self._enabled = b.alphabet, b._enabled
            self.actions_error, self.actions_width = b.actions_error, b.actions_width
            return
        self._recorded(("actions",), self._build_actions_here)

    def _build_actions_here(self) -> None:
        m = self._m

        def fn():
            return [_concrete_action(a) for a in m.actions(self.state())]


        paths = self._explore(fn)
        alphabet: dict[Any, list] = {}
        self.actions_error: list[tuple[Any, str]] = []
        width = []
        for p in paths:
            if p.kind == "ok":
                for a in dict.fromkeys(p.value):
                    alphabet.setdefault(a, []).append(p)
            elif p.kind == "width":
                width.append(p)
            else:
                self.actions_error.append((p.cond, f"actions() raised {type(p.value).__name__}: {p.value}"))
        self.alphabet = list(alphabet)
        self._enabled = {a: self.union(ps) for a, ps in alphabet.items()}
        self.actions_width = self.union(width)
        if len(self.alphabet) >= (1 << SEL_WIDTH):
            raise NoEncoding(f"{len(self.alphabet)} actions: too many for the selector")

    # -- steps ------------------------------------------------------------------------------------
    def _build_step(self, action) -> StepEncoding:
        key = ("step", action)
        if self._reusable(key):
            return self.base.steps[self.base.alphabet.index(action)]
        return self._recorded(key, lambda: self._build_step_here(action))

    def _build_step_here(self, action) -> StepEncoding:
        m = self._m

        def fn():
            return m.step(self.state(), action)

        paths = self._explore(fn)
        acc: list[tuple[Path, dict]] = []
        rej: dict[str, list[Path]] = {}
        err: dict[str, list[Path]] = {}
        width = []
        for p in paths:
            if p.kind == "ok":
                try:
                    flat = self.schema.flatten(p.value)
                except Unsupported as e:
                    err.setdefault(f"step returned a state outside the schema: {e}", []).append(p)
                    continue
                acc.append((p, flat))
            elif p.kind == "rejected":
                rej.setdefault(p.value.rule_id, []).append(p)
            elif p.kind == "width":
                width.append(p)
            else:
                err.setdefault(f"{type(p.value).__name__}: {p.value}", []).append(p)
        nxt = {}
        for lf in self.schema.leaves:
            # group the accepting paths by the value they give the leaf
            by_value: dict[int, tuple[Any, list[Path]]] = {}
            for p, flat in acc:
                v = flat[lf.path]
                by_value.setdefault(v.get_id(), (v, []))[1].append(p)
            if not by_value:
                nxt[lf.path] = self.x[lf.path]
                continue
            items = sorted(by_value.values(), key=lambda vp: -len(vp[1]))
            term = items[0][0]
            for v, ps in items[1:]:
                term = z3.If(self.union(ps), v, term)
            nxt[lf.path] = term
        return StepEncoding(action, action_label(action), self._enabled[action], self.union([p for p, _ in acc]), nxt,
                            [(self.union(ps), r) for r, ps in rej.items()],
                            [(self.union(ps), m) for m, ps in err.items()], self.union(width), len(paths))

    # -- formulas -------------------------------------------------------------------------------------
    def step_formula(self, j: int) -> Any:
        """enabled ∧ accepted ∧ y = next, for action ``j``, over ``x``/``y``."""
        st = self.steps[j]
        eqs = [self.y[p] == t for p, t in st.next.items()]
        return z3.And(st.enabled, st.accepted, *eqs)

    @property
    def stop(self) -> int:
        """Selector value of the *stop* pseudo-action (``y = x``, a stutter step), which
        lets an unrolling of depth ``d`` contain every run of at most ``d`` steps."""
        return len(self.steps)

    def transition_formula(self, sel, allow_stop: bool = True) -> Any:
        """The transition relation over ``x``/``y`` with action selector ``sel``."""
        parts = [z3.ULE(sel, self.stop) if allow_stop else z3.ULT(sel, self.stop)]
        for j in range(len(self.steps)):
            parts.append(z3.Implies(sel == j, self.step_formula(j)))
        if allow_stop:
            parts.append(z3.Implies(sel == self.stop, self.schema.equal(self.x, self.y)))
        return mk_and(parts)

    def error_formula(self) -> Any:
        """Some enabled action makes ``step`` raise (or ``actions`` raises) in ``x``."""
        conds = [c for c, _ in self.actions_error]
        for st in self.steps:
            for c, _ in st.errors:
                conds.append(z3.And(st.enabled, c))
        return _any(conds)

    def successor_domain_formula(self) -> Any:
        """Every accepted transition from ``x`` leads into the domain."""
        dom_y = self.domain(self.y)
        parts = []
        for st in self.steps:
            nxt = z3.substitute(dom_y, *[(self.y[p], t) for p, t in st.next.items()])
            parts.append(z3.Implies(mk_and([st.enabled, st.accepted]), nxt))
        return mk_and(parts)

    def width_formula(self) -> Any:
        conds = [self.actions_width]
        for st in self.steps:
            conds.append(z3.And(st.enabled, st.width))
        return _any(conds)

    def domain(self, v: dict[str, Any]) -> Any:
        return z3.And(*self.schema.domain(v, self.bounds))

    def _state_pred(self, fn) -> Any:
        key = ("state", fn)
        got = self._per_action.get(key)
        if got is not None:
            return got
        if self._reusable(key, lambda: self.base._state_pred(fn)):
            got = self.base._state_pred(fn)
        else:
            m = self._m

            def run():
                return fn(m, self.state())

            def formula():
                paths = self._explore(run)
                raised(fn, paths)
                return self.truth([p for p in paths if p.kind == "ok"])

            got = self._recorded(key, formula)
        self._per_action[key] = got
        return got

    def _transition_pred(self, fn, on: tuple[type, ...]) -> dict[int, Any]:
        """Per action ``j`` (of the classes ``on``): the formula over ``x`` "fn holds on the
        transition ``step(x, a_j)``" (the step and the predicate explored together)."""
        out = {}
        for j, st in enumerate(self.steps):
            if on and not isinstance(st.action, on):
                continue
            out[j] = self._transition_pred_one(fn, st.action)
        return out

    def _transition_pred_one(self, fn, a) -> Any:
        key = ("transition", fn, a)
        got = self._per_action.get(key)
        if got is not None:
            return got
        # reusable only if the mutant leaves this action's step alone, and the predicate
        if (a in self.base_alphabet and self._reusable(("step", a))
                and self._reusable(key, lambda: self.base._transition_pred_one(fn, a))):
            got = self.base._transition_pred_one(fn, a)
        else:
            m = self._m

            def run():
                s = self.state()
                try:
                    t = m.step(s, a)
                except Rejected as r:
                    t = r
                except (Unsupported, ExplorationLimit):
                    raise
                except Exception:
                    return True  # a model error, reported by the error check
                return fn(m, s, a, t)

            got = self._recorded(key, lambda: self._truth_of(run, checked=fn))
        self._per_action[key] = got
        return got

    def _truth_of(self, run, space: Space | None = None, checked=None) -> Any:
        paths = self._explore(run, space)
        if checked is not None:
            raised(checked, paths)
        ok = [p for p in paths if p.kind == "ok"]
        # the predicate itself raising Rejected is not a verdict: count it as holding
        ok += [attrs.evolve(p, value=True) for p in paths if p.kind == "rejected"]
        return self.truth(ok, space)

    def holds(self, prop: Property) -> Any:
        """``prop`` holds in ``x``: for a transition property, on every enabled action."""
        key = (prop.name, "holds")
        if key not in self._props:
            if prop.kind in (Kind.ALWAYS, Kind.SOMETIMES):
                self._props[key] = self._state_pred(prop.predicate)
            elif prop.kind == Kind.TRANSITION:
                per = self._transition_pred(prop.predicate, prop.on)
                self._props[key] = mk_and([z3.Implies(self.steps[j].enabled, f) for j, f in per.items()])
                self._props[(prop.name, "per_action")] = per
            else:
                raise NoEncoding(f"{prop.kind.value} properties are not checked symbolically")
        return self._props[key]

    def violating_actions(self, prop: Property) -> dict[int, Any]:
        """For a transition property: per action, the formula "holds on that transition"."""
        self.holds(prop)
        return self._props[(prop.name, "per_action")]

    def witness(self, prop: Property) -> Any:
        """The property's witness fires in ``x`` (for a transition property: on some enabled action)."""
        key = (prop.name, "witness")
        if key not in self._props:
            if prop.witness is None:
                self._props[key] = z3.BoolVal(False)
            elif prop.kind == Kind.ALWAYS:
                self._props[key] = self._state_pred(prop.witness)
            elif prop.kind == Kind.TRANSITION:
                per = self._transition_pred(prop.witness, prop.on)
                self._props[key] = mk_or([mk_and([self.steps[j].enabled, f]) for j, f in per.items()])
            else:
                self._props[key] = z3.BoolVal(False)
        return self._props[key]

    def state_formula(self, fn) -> Any:
        """Any ``fn(m, s) -> bool`` (an auxiliary invariant, say) over ``x``."""
        return self._state_pred(fn)

    # -- instantiation -----------------------------------------------------------------------------------
    def at(self, formula: Any, cur: dict[str, Any], nxt: dict[str, Any] | None = None) -> Any:
        pairs = [(self.x[p], cur[p]) for p in self.x]
        if nxt is not None:
            pairs += [(self.y[p], nxt[p]) for p in self.y]
        return z3.substitute(formula, *pairs)

    def summary(self) -> dict[str, Any]:
        return {
            "leaves": len(self.schema.leaves),
            "actions": len(self.steps),
            "paths": self.explored_paths,
            "build_s": round(self.build_time, 3),
            "reused_parts": self.reused,
            "inferred_domain": self.inferred_domain,
        }


_OPS = {"truediv": "/", "floordiv": "//", "pow": "**", "mod": "%", "lshift": "<<", "rshift": ">>"}


def author_place(e: BaseException) -> str:
    """`` in FILE:LINE``: the innermost frame of ``e``'s traceback outside the symbolic engine
    (the author's predicate or rule that did what the engine cannot follow); ``""`` if none."""
    here = os.path.dirname(os.path.abspath(__file__))
    place = ""
    tb = e.__traceback__
    while tb is not None:
        f = tb.tb_frame.f_code.co_filename
        if not os.path.abspath(f).startswith(here) and "importlib" not in f:
            place = f" in {f}:{tb.tb_lineno}"
        tb = tb.tb_next
    return place


def raised(fn, paths) -> None:
    """A predicate that raised on some symbolic state is not encoded (it is neither true nor
    false there): :class:`NoEncoding` naming it, what it did and where, before any solving."""
    for p in paths:
        if p.kind != "error":
            continue
        e = p.value
        what = f"{type(e).__name__}: {e}"
        m = re.search(r"unsupported operand type\(s\) for ([^:]+): '(\w+)'", str(e))
        if isinstance(e, TypeError) and m and "Sym" in str(e):
            what = f"`{m.group(1).strip()}` on a symbolic value"
        raise NoEncoding(f"{getattr(fn, '__name__', fn)!s} raises on a state of the symbolic domain "
                         f"({what}){author_place(e)}")


_CACHE: dict[tuple, MachineEncoding] = {}


def encode(machine: Machine, time_limit: float | None = None) -> MachineEncoding:
    """The (cached) encoding of a machine instance; a mutant's reuses its base machine's."""
    key = (type(machine), machine.config)
    enc = _CACHE.get(key)
    if enc is None:
        from paraspec.model.core import MACHINES

        start = time.perf_counter()
        base = None
        base_cls = MACHINES.get(machine.name)
        if machine.mutant_name is not None and base_cls is not None and isinstance(machine, base_cls):
            base = encode(base_cls(machine.config), time_limit)
        left = None if time_limit is None else max(0.0, start + time_limit - time.perf_counter())
        enc = MachineEncoding(machine, time_limit=left, base=base)  # the base and the mutant share the limit
        _CACHE[key] = enc
    else:
        enc.set_deadline(None if time_limit is None else time.perf_counter() + time_limit)
    return enc
