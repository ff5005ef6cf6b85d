"""Symbolic execution of the model's own Python code.

The symbolic engine keeps no second, hand-written copy of the machines. It runs the
machine's methods (``actions``, ``step``, the rule methods a mutant overrides, the
properties' predicates) on *symbolic values*: :class:`SymInt` behaves like a Python
``int`` and :class:`SymBool` like a ``bool``, but each holds a term over the state's
leaf variables. Arithmetic builds terms; wherever Python needs a concrete answer —
``if``, ``and``/``or``, ``require``, a ``range`` bound, a dict key — the
:class:`Explorer` *decides*: it computes which answers are possible on the current path
and follows each in turn, re-executing the function from the start with the list of
decisions taken so far. Each run ends in a :class:`Path`: its condition (a Z3 formula)
and its outcome (the returned value with symbolic leaves, a
:class:`model.core.Rejected`, or an exception).

Every leaf variable ranges over a finite *domain* (its bounds, see
:mod:`checker.symbolic.domains`), so deciding is exact and needs no solver: the path
condition is kept as the set of values each variable may still take (or, for
variables a condition ties together, the set of their joint values), and a condition is
decided by evaluating it, with Python's own ``int`` semantics, on those values.

Terms are turned into Z3 bit-vector terms (:func:`to_z3`) only for the formulas the
engines solve. A term whose value could leave the bit width :data:`WIDTH` on a path
makes that path a ``width`` path, which engines report as ``Unknown``, never as a
verdict.
"""

from __future__ import annotations

import builtins
import itertools
import sys
import time
from typing import Any, Callable, Iterable

import attrs
import z3
import z3.z3 as _zz

from paraspec.model.core import Rejected

__all__ = [
    "WIDTH",
    "Term",
    "SymInt",
    "SymBool",
    "SymEnum",
    "Path",
    "Explorer",
    "ExplorationLimit",
    "WidthOverflow",
    "Unsupported",
    "to_z3",
    "bv",
    "to_bool",
    "patched_int",
    "is_sym",
    "var",
    "modules_of",
    "Space",
    "Region",
    "mk_and",
    "mk_or",
]

#: bit width of symbolic integers in Z3 (signed)
WIDTH = 16
_MIN, _MAX = -(1 << (WIDTH - 1)), (1 << (WIDTH - 1)) - 1
#: most joint values a group of variables tied by conditions may have
MAX_JOINT = 200_000

_CTX: "_Run | None" = None


class WidthOverflow(Exception):
    """A value leaves the symbolic bit width."""


class Unsupported(Exception):
    """The code did something the symbolic engine cannot follow."""


class ExplorationLimit(Exception):
    """Too many paths, joint values or too much time: the encoding is not built."""


# -- terms ------------------------------------------------------------------------------------------


class Term:
    """An immutable expression node: ``op`` and ``args`` (terms or Python constants).

    ``vars`` is the frozenset of leaf-variable names it reads; ``sort`` is ``int`` or
    ``bool``. Evaluation (:meth:`fn`) is compiled to nested Python closures once.
    """

    __slots__ = ("op", "args", "vars", "sort", "_fn", "_z3")

    def __init__(self, op: str, args: tuple, sort: str):
        self.op = op
        self.args = args
        self.sort = sort
        vs = frozenset()
        for a in args:
            if isinstance(a, Term):
                vs = vs | a.vars
        if op == "var":
            vs = frozenset((args[0],))
        self.vars = vs
        self._fn = None
        self._z3 = None

    def fn(self) -> Callable[[dict], Any]:
        if self._fn is None:
            self._fn = _compile(self)
        return self._fn

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        if self.op == "var":
            return self.args[0]
        return f"({self.op} {' '.join(map(repr, self.args))})"


def var(name: str, sort: str = "int") -> Term:
    return Term("var", (name, sort), sort)


def _floordiv(a, b):
    return a // b


_INT_OPS: dict[str, Callable] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "floordiv": _floordiv,
    "mod": lambda a, b: a % b,
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "xor": lambda a, b: a ^ b,
    "shl": lambda a, b: a << b,
    "shr": lambda a, b: a >> b,
}
_CMP_OPS: dict[str, Callable] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


def _compile(t: Term) -> Callable[[dict], Any]:
    op, args = t.op, t.args
    if op == "var":
        name = args[0]
        return lambda env: env[name]
    fs = [a.fn() if isinstance(a, Term) else (lambda env, a=a: a) for a in args]
    if op in _INT_OPS or op in _CMP_OPS:
        f = _INT_OPS.get(op) or _CMP_OPS[op]
        fa, fb = fs
        return lambda env: f(fa(env), fb(env))
    if op == "neg":
        (fa,) = fs
        return lambda env: -fa(env)
    if op == "inv":
        (fa,) = fs
        return lambda env: ~fa(env)
    if op == "abs":
        (fa,) = fs
        return lambda env: abs(fa(env))
    if op == "popcount":
        (fa,) = fs
        return lambda env: builtins.int(fa(env)).bit_count()
    if op == "not":
        (fa,) = fs
        return lambda env: not fa(env)
    if op == "band":
        return lambda env: all(f(env) for f in fs)
    if op == "bor":
        return lambda env: any(f(env) for f in fs)
    if op == "bxor":
        fa, fb = fs
        return lambda env: bool(fa(env)) != bool(fb(env))
    if op == "b2i":
        (fa,) = fs
        return lambda env: 1 if fa(env) else 0
    if op == "ite":
        fc, fa, fb = fs
        return lambda env: fa(env) if fc(env) else fb(env)
    raise AssertionError(op)


def _const(x: Any) -> bool:
    return not isinstance(x, Term)


def _mk(op: str, args: tuple, sort: str) -> Any:
    """A term, or the constant it folds to."""
    if all(_const(a) for a in args):
        return Term(op, args, sort).fn()({})
    return Term(op, args, sort)


def _term(x: Any) -> Any:
    """Operand of an int operation: a term, or a Python int."""
    if isinstance(x, SymInt):
        return x.t
    if isinstance(x, SymBool):
        return _mk("b2i", (x.t,), "int")
    return builtins.int(x)


def _wrap(t: Any) -> Any:
    return SymInt(t) if isinstance(t, Term) else t


def _wrapb(t: Any) -> Any:
    return SymBool(t) if isinstance(t, Term) else bool(t)


def _int_operand(x: Any) -> bool:
    return isinstance(x, (SymInt, SymBool, builtins.int))


def _ctx() -> "_Run":
    if _CTX is None:
        raise Unsupported("a symbolic value was used outside an exploration")
    return _CTX


class SymInt:
    """A symbolic Python ``int``."""

    __slots__ = ("t",)

    def __init__(self, t: Term):
        self.t = t

    def _bin(self, other, op, reverse=False):
        if not _int_operand(other):
            return NotImplemented
        a, b = (_term(other), self.t) if reverse else (self.t, _term(other))
        if op in ("floordiv", "mod"):
            if _ctx().decide(_mk("eq", (b, 0), "bool")):
                raise ZeroDivisionError("integer division or modulo by zero")
        elif op in ("shl", "shr"):
            if _ctx().decide(_mk("lt", (b, 0), "bool")):
                raise ValueError("negative shift count")
        return _wrap(_mk(op, (a, b), "int"))

    def __add__(self, o):
        return self._bin(o, "add")

    def __radd__(self, o):
        return self._bin(o, "add", True)

    def __sub__(self, o):
        return self._bin(o, "sub")

    def __rsub__(self, o):
        return self._bin(o, "sub", True)

    def __mul__(self, o):
        return self._bin(o, "mul")

    def __rmul__(self, o):
        return self._bin(o, "mul", True)

    def __floordiv__(self, o):
        return self._bin(o, "floordiv")

    def __rfloordiv__(self, o):
        return self._bin(o, "floordiv", True)

    def __mod__(self, o):
        return self._bin(o, "mod")

    def __rmod__(self, o):
        return self._bin(o, "mod", True)

    def __and__(self, o):
        return self._bin(o, "and")

    def __rand__(self, o):
        return self._bin(o, "and", True)

    def __or__(self, o):
        return self._bin(o, "or")

    def __ror__(self, o):
        return self._bin(o, "or", True)

    def __xor__(self, o):
        return self._bin(o, "xor")

    def __rxor__(self, o):
        return self._bin(o, "xor", True)

    def __lshift__(self, o):
        return self._bin(o, "shl")

    def __rlshift__(self, o):
        return self._bin(o, "shl", True)

    def __rshift__(self, o):
        return self._bin(o, "shr")

    def __rrshift__(self, o):
        return self._bin(o, "shr", True)

    def __neg__(self):
        return _wrap(_mk("neg", (self.t,), "int"))

    def __pos__(self):
        return self

    def __abs__(self):
        return _wrap(_mk("abs", (self.t,), "int"))

    def __invert__(self):
        return _wrap(_mk("inv", (self.t,), "int"))

    def bit_count(self):
        """``int.bit_count``: the 1 bits of the absolute value."""
        return _wrap(_mk("popcount", (self.t,), "int"))

    def _cmp(self, o, op):
        if not _int_operand(o):
            return NotImplemented
        return _wrapb(_mk(op, (self.t, _term(o)), "bool"))

    def __eq__(self, o):
        return self._cmp(o, "eq") if _int_operand(o) else False

    def __ne__(self, o):
        return self._cmp(o, "ne") if _int_operand(o) else True

    def __lt__(self, o):
        return self._cmp(o, "lt")

    def __le__(self, o):
        return self._cmp(o, "le")

    def __gt__(self, o):
        return self._cmp(o, "gt")

    def __ge__(self, o):
        return self._cmp(o, "ge")

    def __bool__(self):
        return _ctx().decide(_mk("ne", (self.t, 0), "bool"))

    def __index__(self):
        return _ctx().concretize(self.t)

    __int__ = __index__

    def __hash__(self):
        return hash(_ctx().concretize(self.t))

    def __repr__(self):
        return "<sym>"

    def __format__(self, spec):
        return "<sym>"


class SymEnum(SymInt):
    """A symbolic member of an ``IntEnum``: an integer whose ``name`` (read by messages,
    say) is found by deciding which member it is."""

    __slots__ = ("enum",)

    def __init__(self, t: Term, enum_cls: type):
        super().__init__(t)
        self.enum = enum_cls

    @property
    def name(self) -> str:
        return self.enum(self.__index__()).name

    @property
    def value(self) -> "SymEnum":
        return self


class SymBool:
    """A symbolic Python ``bool``."""

    __slots__ = ("t",)

    def __init__(self, t: Term):
        self.t = t

    def __bool__(self):
        return _ctx().decide(self.t)

    def _logic(self, o, op):
        if isinstance(o, SymBool):
            return _wrapb(_mk(op, (self.t, o.t), "bool"))
        if isinstance(o, bool):
            return _wrapb(_mk(op, (self.t, o), "bool"))
        return NotImplemented

    def __eq__(self, o):
        if isinstance(o, (SymBool, bool)):
            r = self._logic(o, "bxor")
            return _wrapb(_mk("not", (r.t,), "bool")) if isinstance(r, SymBool) else not r
        if _int_operand(o):
            return SymInt(_mk("b2i", (self.t,), "int")) == o
        return False

    def __ne__(self, o):
        r = self.__eq__(o)
        return _wrapb(_mk("not", (r.t,), "bool")) if isinstance(r, SymBool) else not r

    def __and__(self, o):
        return self._logic(o, "band")

    __rand__ = __and__

    def __or__(self, o):
        return self._logic(o, "bor")

    __ror__ = __or__

    def __xor__(self, o):
        return self._logic(o, "bxor")

    __rxor__ = __xor__

    def __index__(self):
        return 1 if self.__bool__() else 0

    __int__ = __index__

    def __hash__(self):
        return hash(self.__bool__())

    def __add__(self, o):
        return SymInt(_mk("b2i", (self.t,), "int")) + o

    __radd__ = __add__

    def __repr__(self):
        return "<sym bool>"

    def __format__(self, spec):
        return "<sym bool>"


def is_sym(x: Any) -> bool:
    return isinstance(x, (SymInt, SymBool))


# -- conversion to Z3 ------------------------------------------------------------------------------------

_Z3_VARS: dict[tuple[str, str], Any] = {}


def _z3var(name: str, sort: str):
    key = (name, sort)
    v = _Z3_VARS.get(key)
    if v is None:
        v = z3.Bool(name) if sort == "bool" else z3.BitVec(name, WIDTH)
        _Z3_VARS[key] = v
    return v


def _zi(x: Any):
    if isinstance(x, Term):
        return to_z3(x)
    if isinstance(x, bool):
        return z3.BoolVal(x)
    return z3.BitVecVal(x, WIDTH)


def to_z3(t: Any) -> Any:
    """A term (or Python constant) as a Z3 term: ``WIDTH``-bit vector or Boolean."""
    if not isinstance(t, Term):
        return _zi(t)
    if t._z3 is not None:
        return t._z3
    op, a = t.op, t.args
    if op == "var":
        r = _z3var(a[0], a[1])
    elif op == "add":
        r = _zi(a[0]) + _zi(a[1])
    elif op == "sub":
        r = _zi(a[0]) - _zi(a[1])
    elif op == "mul":
        r = _zi(a[0]) * _zi(a[1])
    elif op == "floordiv":
        x, y = _zi(a[0]), _zi(a[1])
        rem = z3.SRem(x, y)
        r = (x - rem) / y - z3.If(z3.And(rem != 0, (x < 0) != (y < 0)), z3.BitVecVal(1, WIDTH), z3.BitVecVal(0, WIDTH))
    elif op == "mod":
        r = _zi(a[0]) % _zi(a[1])  # z3's % on bit-vectors is bvsmod: the divisor's sign, like Python
    elif op == "and":
        r = _zi(a[0]) & _zi(a[1])
    elif op == "or":
        r = _zi(a[0]) | _zi(a[1])
    elif op == "xor":
        r = _zi(a[0]) ^ _zi(a[1])
    elif op == "shl":
        r = _zi(a[0]) << _zi(a[1])
    elif op == "shr":
        r = _zi(a[0]) >> _zi(a[1])
    elif op == "neg":
        r = -_zi(a[0])
    elif op == "inv":
        r = ~_zi(a[0])
    elif op == "abs":
        x = _zi(a[0])
        r = z3.If(x < 0, -x, x)
    elif op == "popcount":
        x = _zi(a[0])
        x = z3.If(x < 0, -x, x)
        r = z3.Sum([z3.ZeroExt(WIDTH - 1, z3.Extract(i, i, x)) for i in range(WIDTH)])
    elif op in _CMP_OPS:
        x, y = _zi(a[0]), _zi(a[1])
        r = {"eq": lambda: x == y, "ne": lambda: x != y, "lt": lambda: x < y, "le": lambda: x <= y,
             "gt": lambda: x > y, "ge": lambda: x >= y}[op]()
    elif op == "not":
        r = z3.Not(_zi(a[0]))
    elif op == "band":
        r = z3.And(*[_zi(x) for x in a])
    elif op == "bor":
        r = z3.Or(*[_zi(x) for x in a])
    elif op == "bxor":
        r = z3.Xor(_zi(a[0]), _zi(a[1]))
    elif op == "b2i":
        r = z3.If(_zi(a[0]), z3.BitVecVal(1, WIDTH), z3.BitVecVal(0, WIDTH))
    elif op == "ite":
        r = z3.If(_zi(a[0]), _zi(a[1]), _zi(a[2]))
    else:  # pragma: no cover
        raise AssertionError(op)
    t._z3 = r
    return r


def bv(x: Any) -> Any:
    """A Python int / enum / bool or a :class:`SymInt` / :class:`SymBool` as a bit-vector term."""
    if isinstance(x, SymInt):
        return to_z3(x.t)
    if isinstance(x, SymBool):
        return z3.If(to_z3(x.t), z3.BitVecVal(1, WIDTH), z3.BitVecVal(0, WIDTH))
    if isinstance(x, (builtins.int, bool)):
        return z3.BitVecVal(builtins.int(x), WIDTH)
    raise Unsupported(f"cannot use {type(x).__name__} as a symbolic integer")


def to_bool(x: Any) -> Any:
    """A Python truth value, :class:`SymBool` or :class:`SymInt` as a Z3 Boolean."""
    if isinstance(x, SymBool):
        return to_z3(x.t)
    if isinstance(x, SymInt):
        return to_z3(x.t) != 0
    return z3.BoolVal(bool(x))


# -- int() inside model code ----------------------------------------------------------------------


class _IntMeta(type):
    def __call__(cls, *args, **kwargs):
        if len(args) == 1 and not kwargs:
            x = args[0]
            if isinstance(x, SymInt):
                return x
            if isinstance(x, SymBool):
                return SymInt(_mk("b2i", (x.t,), "int"))
        return builtins.int(*args, **kwargs)

    def __instancecheck__(cls, obj):
        return isinstance(obj, builtins.int)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, builtins.int)

    def __getattr__(cls, name):
        return getattr(builtins.int, name)


class _SymAwareInt(metaclass=_IntMeta):
    """Stands for ``int`` in model modules during an exploration: ``int(x)`` of a
    symbolic integer is that integer (Python's ``int`` would need a concrete value)."""


class patched_int:
    """Context manager: make ``int(...)`` symbolic-aware in the given modules."""

    def __init__(self, modules: Iterable[Any]):
        self.modules = [m for m in modules if m is not None]
        self.saved: list[tuple[Any, bool, Any]] = []

    def __enter__(self):
        for m in self.modules:
            d = m.__dict__
            had = "int" in d
            if had and d["int"] is not builtins.int and d["int"] is not _SymAwareInt:
                continue  # the module defines its own ``int``: leave it alone
            self.saved.append((m, had, d.get("int")))
            d["int"] = _SymAwareInt
        return self

    def __exit__(self, *exc):
        for m, had, old in reversed(self.saved):
            if had:
                m.__dict__["int"] = old
            else:
                m.__dict__.pop("int", None)
        self.saved.clear()
        return False


def modules_of(*objs: Any) -> list[Any]:
    """The modules whose code may run: those of the objects' classes (and their bases)
    and every loaded module of the ``model`` and ``properties`` packages."""
    mods = {}
    for o in objs:
        cls = o if isinstance(o, type) else type(o)
        for c in cls.__mro__:
            m = sys.modules.get(c.__module__)
            if m is not None and c.__module__ != "builtins":
                mods[m.__name__] = m
    for name, m in list(sys.modules.items()):
        if m is not None and (name in ("paraspec.model", "paraspec.properties") or name.startswith(("paraspec.model.", "paraspec.properties."))):
            mods[name] = m
    return list(mods.values())


# -- exploration ---------------------------------------------------------------------------------------


def mk_and(xs: list) -> Any:
    """``z3.And`` without z3py's per-argument coercion (the arguments are Booleans)."""
    xs = [x for x in xs if not z3.is_true(x)]
    if not xs:
        return z3.BoolVal(True)
    if len(xs) == 1:
        return xs[0]
    arr, n = _zz._to_ast_array(xs)
    return _zz.BoolRef(z3.Z3_mk_and(xs[0].ctx_ref(), n, arr), xs[0].ctx)


def mk_or(xs: list) -> Any:
    """``z3.Or`` without z3py's per-argument coercion (the arguments are Booleans)."""
    xs = [x for x in xs if not z3.is_false(x)]
    if not xs:
        return z3.BoolVal(False)
    if len(xs) == 1:
        return xs[0]
    arr, n = _zz._to_ast_array(xs)
    return _zz.BoolRef(z3.Z3_mk_or(xs[0].ctx_ref(), n, arr), xs[0].ctx)


#: a region of the state space: restricted variable groups -> their allowed joint values
#: (variables not named are unrestricted)
Region = dict


@attrs.frozen
class Path:
    """One execution of the explored function."""

    #: where the path runs: ``{(names...): frozenset of joint values}``
    region: Any
    #: ``ok`` (returned ``value``), ``rejected`` (``value`` is the Rejected), ``error``
    #: (``value`` is the exception: a bug in the model), ``width`` (a value computed on
    #: the path does not fit the Z3 bit width)
    kind: str
    value: Any = None
    space: Any = attrs.field(default=None, eq=False, repr=False)

    @property
    def cond(self) -> Any:
        return self.space.region_formula(self.region)

    def condition(self) -> Any:
        return self.cond


class Space:
    """The leaf variables of an exploration: their sorts and (joint) domains."""

    def __init__(self, domains: dict[str, tuple[str, tuple]], optionals: Iterable[tuple[str, list[str]]] = ()):
        self.sorts = {n: s for n, (s, _) in domains.items()}
        self.domain = {n: tuple(vals) for n, (_, vals) in domains.items()}
        self.initial: dict[str, "_Group"] = {n: _Group((n,), tuple((v,) for v in vals))
                                             for n, (_, vals) in domains.items()}
        #: presence flag -> ((leaf, zero value), ...): deciding the flag false fixes its leaves
        self.absent: dict[str, tuple] = {
            flag: tuple((n, False if self.sorts[n] == "bool" else 0) for n in inner) for flag, inner in optionals}
        self._memb: dict[tuple, Any] = {}

    def full(self, names: tuple[str, ...]) -> frozenset | None:
        g = self.initial[names[0]]
        if g.names == names:
            return frozenset(g.rows)
        return None

    def membership(self, names: tuple[str, ...], rows: frozenset) -> Any:
        key = (names, rows)
        got = self._memb.get(key)
        if got is not None:
            return got
        zs = [_z3var(n, self.sorts[n]) for n in names]
        if not rows:
            f = z3.BoolVal(False)
        elif len(zs) == 1:
            f = _one_var_membership(zs[0], self.sorts[names[0]], [r[0] for r in rows], list(self.domain[names[0]]))
        else:
            def lit(z, n, v):
                if self.sorts[n] == "bool":
                    return z if v else z3.Not(z)
                return z == v

            f = mk_or([mk_and([lit(z, n, v) for z, n, v in zip(zs, names, r)]) for r in sorted(rows, key=repr)])
        self._memb[key] = f
        return f

    def region_formula(self, region: Region) -> Any:
        return mk_and([self.membership(k, v) for k, v in sorted(region.items())])

    def merge(self, regions: list[Region]) -> list[Region]:
        """Fewer, larger regions covering the same (disjoint) union: regions that agree
        everywhere but on one variable group are merged (like cube merging in logic
        minimisation)."""
        keys = sorted({k for r in regions for k in r})
        items = {tuple(r.get(k) for k in keys) for r in regions}  # None: unrestricted
        fulls = [self.full(k) for k in keys]
        changed = True
        while changed and len(items) > 1:
            changed = False
            for i in range(len(keys)):
                buckets: dict[tuple, list] = {}
                for it in items:
                    buckets.setdefault(it[:i] + it[i + 1:], []).append(it[i])
                if len(buckets) == len(items):
                    continue
                changed = True
                out = set()
                for other, sets in buckets.items():
                    if len(sets) == 1:
                        v = sets[0]
                    elif any(x is None for x in sets):
                        v = None
                    else:
                        v = frozenset().union(*sets)
                        if v == fulls[i]:
                            v = None
                    out.add(other[:i] + (v,) + other[i:])
                items = out
        return [{k: v for k, v in zip(keys, it) if v is not None} for it in sorted(items, key=repr)]

    def union_formula(self, regions: list[Region]) -> Any:
        """The formula of a union of disjoint regions (merged first)."""
        if not regions:
            return z3.BoolVal(False)
        merged = self.merge(regions)
        if any(not r for r in merged):
            return z3.BoolVal(True)
        return mk_or([self.region_formula(r) for r in merged])


class _Group:
    """Variables tied together by conditions, with the joint values they may take."""

    __slots__ = ("names", "rows")

    def __init__(self, names: tuple[str, ...], rows: tuple):
        self.names = names
        self.rows = rows  # tuples of values, one per name


class _Run:
    """One re-execution of the explored function along a recorded decision sequence."""

    def __init__(self, ex: "Explorer", prefix: list):
        self.ex = ex
        self.prefix = prefix
        self.taken: list = []
        self.group: dict[str, _Group] = dict(ex.initial)

    # -- the path condition as groups of joint values ---------------------------------------------
    def _rows(self, names: frozenset) -> tuple[tuple[str, ...], list]:
        groups = []
        seen = set()
        for n in sorted(names):
            if n not in self.group:
                raise Unsupported(f"variable {n} has no domain")
            g = self.group[n]
            if id(g) not in seen:
                seen.add(id(g))
                groups.append(g)
        if len(groups) == 1:
            return groups[0].names, list(groups[0].rows)
        size = 1
        for g in groups:
            size *= len(g.rows)
        if size > MAX_JOINT:
            raise ExplorationLimit(f"{size} joint values of {sorted(names)}")
        cols = tuple(n for g in groups for n in g.names)
        rows = [tuple(v for r in combo for v in r) for combo in itertools.product(*[g.rows for g in groups])]
        return cols, rows

    def _restrict(self, cols: tuple[str, ...], rows: list) -> None:
        current = {id(self.group[n]): self.group[n] for n in cols}
        total = 1
        for g in current.values():
            total *= len(g.rows)
        if len(rows) == total:
            return  # nothing excluded: keep the groups as they are
        if len(cols) > 1:
            distinct = [sorted({r[i] for r in rows}, key=repr) for i in range(len(cols))]
            size = 1
            for d in distinct:
                size *= len(d)
            if size == len(rows):  # a product: untie the variables
                for n, d in zip(cols, distinct):
                    self.group[n] = _Group((n,), tuple((v,) for v in d))
                return
            keep = [i for i, d in enumerate(distinct) if len(d) > 1]
            for i, d in enumerate(distinct):
                if len(d) == 1:
                    self.group[cols[i]] = _Group((cols[i],), ((d[0],),))
            if len(keep) < len(cols):
                cols = tuple(cols[i] for i in keep)
                rows = sorted({tuple(r[i] for i in keep) for r in rows}, key=repr)
        g = _Group(cols, tuple(rows))
        for n in cols:
            self.group[n] = g

    def _split(self, t: Term, key: Callable[[Any], Any]) -> tuple[tuple[str, ...], dict[Any, list]]:
        deadline = self.ex.deadline
        if deadline is not None and time.perf_counter() > deadline:  # a path may take many decisions
            raise ExplorationLimit("time limit while building the encoding")
        cols, rows = self._rows(t.vars)
        f = t.fn()
        out: dict[Any, list] = {}
        env: dict[str, Any] = {}
        if len(cols) == 1:
            (c,) = cols
            for r in rows:
                env[c] = r[0]
                out.setdefault(key(f(env)), []).append(r)
        else:
            for r in rows:
                env.update(zip(cols, r))
                out.setdefault(key(f(env)), []).append(r)
        return cols, out

    def assume(self, t: Term) -> None:
        """Restrict the path to where ``t`` holds (an assumption, not a decision)."""
        cols, parts = self._split(t, bool)
        self._restrict(cols, parts.get(True, []))

    def decide(self, t: Any) -> bool:
        if not isinstance(t, Term):
            return bool(t)
        cols, parts = self._split(t, bool)
        pos = len(self.taken)
        if pos < len(self.prefix):
            val = self.prefix[pos]
        else:
            options = [v for v in (True, False) if parts.get(v)]
            if not options:  # pragma: no cover - the path is feasible
                raise AssertionError("infeasible path")
            val = options[0]
            if len(options) == 2:
                self.ex.pending.append(self.taken + [False])
        self.taken.append(val)
        self._restrict(cols, parts.get(val, []))
        absent = self.ex.space.absent
        if absent and t.op == "var" and not val and t.args[0] in absent:
            # an absent optional value: its leaves are 0 (the domain)
            for n, zero in absent[t.args[0]]:
                self.group[n] = _Group((n,), ((zero,),))
        return val

    def concretize(self, t: Any) -> int:
        if not isinstance(t, Term):
            return builtins.int(t)
        cols, parts = self._split(t, lambda v: v)
        pos = len(self.taken)
        if pos < len(self.prefix):
            val = self.prefix[pos]
        else:
            values = sorted(parts)
            val = values[0]
            for other in reversed(values[1:]):
                self.ex.pending.append(self.taken + [other])
        self.taken.append(val)
        self._restrict(cols, parts[val])
        return builtins.int(val)

    # -- the path's formula ----------------------------------------------------------------------------
    def interval(self, t: Any, memo: dict) -> tuple[int, int]:
        """Bounds of ``t`` on the path (exact by enumeration when small)."""
        if not isinstance(t, Term):
            v = builtins.int(t)
            return v, v
        got = memo.get(id(t))
        if got is not None:
            return got
        for a in t.args:
            if isinstance(a, Term):
                self.interval(a, memo)
        cols, rows = self._rows(t.vars)
        f = t.fn()
        vals = [f(dict(zip(cols, r))) for r in rows]
        vals = [builtins.int(v) for v in vals]
        got = (min(vals), max(vals)) if vals else (0, 0)
        memo[id(t)] = got
        return got

    def fits(self, value: Any) -> bool:
        memo: dict = {}
        for t in _terms_in(value):
            self.interval(t, memo)
        return all(_MIN <= lo and hi <= _MAX for lo, hi in memo.values())

    def region(self) -> Region:
        out = {}
        seen = set()
        for n, g in self.group.items():
            if id(g) in seen:
                continue
            seen.add(id(g))
            if self.ex.space.initial.get(n) is g:
                continue  # unrestricted
            out[g.names] = frozenset(g.rows)
        return out


def _terms_in(value: Any, depth: int = 0) -> Iterable[Term]:
    if depth > 12:
        return
    if isinstance(value, (SymInt, SymBool)):
        yield value.t
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _terms_in(v, depth + 1)
    elif attrs.has(type(value)):
        for f in attrs.fields(type(value)):
            yield from _terms_in(getattr(value, f.name), depth + 1)


class Explorer:
    """Enumerate the feasible paths of a function of symbolic values.

    The variables and their domains are the :class:`Space`; paths are explored
    depth-first by re-execution, so the explored function must be deterministic.
    """

    def __init__(self, space: Space, modules: Iterable[Any] = (), max_paths: int = 50_000,
                 deadline: float | None = None):
        self.space = space
        self.initial = space.initial
        self.modules = list(modules)
        self.max_paths = max_paths
        self.deadline = deadline
        self.pending: list[list] = []

    def variable(self, name: str) -> Any:
        """The symbolic value of a leaf variable."""
        sort = self.space.sorts[name]
        return SymBool(var(name, "bool")) if sort == "bool" else SymInt(var(name, "int"))

    def explore(self, fn: Callable[[], Any]) -> list[Path]:
        global _CTX
        paths: list[Path] = []
        self.pending = [[]]
        with patched_int(self.modules):
            while self.pending:
                if len(paths) >= self.max_paths:
                    raise ExplorationLimit(f"more than {self.max_paths} paths")
                if self.deadline is not None and time.perf_counter() > self.deadline:
                    raise ExplorationLimit("time limit while building the encoding")
                prefix = self.pending.pop()
                run = _Run(self, prefix)
                saved, _CTX = _CTX, run
                kind, value = "ok", None
                try:
                    value = fn()
                except Rejected as r:
                    kind, value = "rejected", r
                except (Unsupported, ExplorationLimit):
                    raise
                except Exception as e:  # a bug in the model (or in a property)
                    kind, value = "error", e
                finally:
                    _CTX = saved
                if kind == "ok" and not run.fits(value):
                    kind, value = "width", WidthOverflow("a value on this path does not fit the symbolic bit width")
                paths.append(Path(run.region(), kind, value, self.space))
        return paths


def _one_var_membership(z, sort: str, values: list, domain: list) -> Any:
    if sort == "bool":
        if set(values) == {True, False}:
            return z3.BoolVal(True)
        return z if values[0] else z3.Not(z)
    values = sorted(set(values))
    vs = set(values)
    excluded = [v for v in domain if v not in vs]
    if len(excluded) <= 2 and len(excluded) < len(values):
        return z3.And(*[z != v for v in excluded]) if len(excluded) > 1 else (z != excluded[0] if excluded
                                                                              else z3.BoolVal(True))
    # maximal runs of consecutive domain values
    parts = []
    dom_index = {v: i for i, v in enumerate(domain)}
    run_start = prev = None
    for v in values:
        if run_start is None:
            run_start = prev = v
        elif dom_index.get(v) == dom_index.get(prev, -2) + 1:
            prev = v
        else:
            parts.append((run_start, prev))
            run_start = prev = v
    if run_start is not None:
        parts.append((run_start, prev))
    terms = [z == lo if lo == hi else z3.And(z >= lo, z <= hi) for lo, hi in parts]
    return terms[0] if len(terms) == 1 else z3.Or(*terms)
