"""Connectives that work on Python values and on Z3 terms alike.

A rule written with these helpers (``And(a, b)``, ``ite(c, x, y)``, ``div(n - 1, 3)``)
is the same text for the explicit engine (Python ``bool``/``int``) and the symbolic
engine (Z3 ``BoolRef``/``ArithRef``), and element-wise for numpy arrays (the
vectorized engine, ``checker.vector``). Z3 and numpy are imported lazily, so the
explicit engine does not pay for them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["is_symbolic", "is_array", "And", "Or", "Not", "Implies", "and_then", "ite", "div", "mod", "max_", "min_", "popcount",
           "OptionalBatch", "is_present", "optional", "opt_ite", "opt_map"]


def is_array(*xs: Any) -> bool:
    """True when any operand is a numpy array (the vectorized engine evaluates a rule
    on a whole frontier of states at once)."""
    for x in xs:
        if type(x).__module__ == "numpy":
            return True
    return False


_PLAIN = (bool, int)


def _plain(xs) -> bool:
    """Every operand is a Python bool or int (the interpreter's fast path)."""
    for x in xs:
        if x.__class__ is not bool and x.__class__ is not int:
            return False
    return True


def _np():
    import numpy

    return numpy


def is_symbolic(*xs: Any) -> bool:
    """True when any operand is a Z3 expression."""
    for x in xs:
        mod_name = type(x).__module__
        if mod_name.startswith("z3"):
            return True
    return False


def _z3():
    import z3

    return z3


def And(*xs: Any) -> Any:
    for x in xs:  # the interpreter's fast path: every operand a Python bool or int
        if x.__class__ is not bool and x.__class__ is not int:
            break
    else:
        return all(xs)
    if is_symbolic(*xs):
        return _z3().And(*xs)
    if is_array(*xs):
        return _reduce(_np().logical_and, xs)
    return all(xs)


def and_then(c: Any, then) -> Any:
    """``c and then()``: on a plain condition ``then`` is called only when ``c`` holds (so a rule
    predicate is evaluated where the interpreter's branch would reach it, which is what vector
    tracing records); on arrays and Z3 terms, ``And(c, then())``."""
    if c.__class__ is bool or c.__class__ is int:
        return bool(c) and then()
    return And(c, then())


def Or(*xs: Any) -> Any:
    for x in xs:
        if x.__class__ is not bool and x.__class__ is not int:
            break
    else:
        return any(xs)
    if is_symbolic(*xs):
        return _z3().Or(*xs)
    if is_array(*xs):
        return _reduce(_np().logical_or, xs)
    return any(xs)


def Not(x: Any) -> Any:
    if x.__class__ is bool or x.__class__ is int:
        return not x
    if is_symbolic(x):
        return _z3().Not(x)
    if is_array(x):
        return _np().logical_not(x)
    return not x


def Implies(a: Any, b: Any) -> Any:
    if _plain((a, b)):
        return (not a) or bool(b)
    if is_symbolic(a, b):
        return _z3().Implies(a, b)
    if is_array(a, b):
        return _np().logical_or(_np().logical_not(a), b)
    return (not a) or bool(b)


#: The width of the Z3 bit-vectors a rule is run on, while an engine encodes with them
#: (:func:`bitvector_constants`): an ``ite`` of a symbolic condition between two integer
#: constants is then a bit-vector, as its other operands are (Z3 would make it an ``Int``),
#: and so is a ``popcount`` (a count of at most the width fits it).
_BV_WIDTH: list[int] = []
_BV_COUNT: list[bool] = []


class bitvector_constants:
    """``with bitvector_constants(w):`` rules see integer constants chosen by a symbolic
    condition as ``w``-bit vectors (``checker.symbolic.wide``); outside it, Z3 ``Int``.
    ``bv_count``: a ``popcount`` is a bit-vector too (else an ``Int`` sum: the solver's
    arithmetic suits some queries, bit-blasting others)."""

    def __init__(self, width: int, bv_count: bool = True):
        self.width = width
        self.bv_count = bv_count

    def __enter__(self):
        _BV_WIDTH.append(self.width)
        _BV_COUNT.append(self.bv_count)

    def __exit__(self, *exc):
        _BV_WIDTH.pop()
        _BV_COUNT.pop()


def ite(c: Any, a: Any, b: Any) -> Any:
    if c.__class__ is bool or c.__class__ is int:  # a plain condition picks a branch, whatever it holds
        return a if c else b
    if is_symbolic(c, a, b):
        z3 = _z3()
        if _BV_WIDTH and isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool) \
                and not isinstance(b, bool):
            w = _BV_WIDTH[-1]
            if max(abs(int(a)), abs(int(b))).bit_length() >= w:  # it would wrap: no silent change of value
                raise OverflowError(f"a constant of ite({a}, {b}) is wider than the {w}-bit vectors")
            a, b = z3.BitVecVal(int(a), w), z3.BitVecVal(int(b), w)
        return z3.If(c, a, b)
    if is_array(c, a, b):
        return _np().where(c, a, b)
    return a if c else b


def div(a: Any, b: Any) -> Any:
    """Floor division for a non-negative numerator and a positive divisor.

    Z3's integer division is Euclidean, which agrees with Python's ``//`` whenever the
    divisor is positive.
    """
    if a.__class__ is int and b.__class__ is int:  # the interpreter's fast path
        return a // b
    if is_symbolic(a, b):
        return a / b
    return a // b


def mod(a: Any, b: Any) -> Any:
    """``a % b``: Python ints, numpy arrays and Z3 terms alike (Z3's ``%`` is its ``mod``,
    which agrees with Python's for a positive divisor)."""
    return a % b


def max_(a: Any, b: Any) -> Any:
    if _plain((a, b)):
        return a if a >= b else b
    if is_symbolic(a, b):
        return _z3().If(a >= b, a, b)
    if is_array(a, b):
        return _np().maximum(a, b)
    return a if a >= b else b


def min_(a: Any, b: Any) -> Any:
    if _plain((a, b)):
        return a if a <= b else b
    if is_symbolic(a, b):
        return _z3().If(a <= b, a, b)
    if is_array(a, b):
        return _np().minimum(a, b)
    return a if a <= b else b


def popcount(x: Any, width: int | None = None) -> Any:
    """Number of 1 bits. For a Z3 bit-vector, the low ``width`` bits are summed as an Int."""
    if x.__class__ is int:
        return x.bit_count()
    if is_symbolic(x):
        z3 = _z3()
        w = width if width is not None else x.size()
        if _BV_WIDTH and _BV_COUNT[-1] and _BV_WIDTH[-1] == x.size():  # a bit-vector count, as wide as the vectors
            k = w.bit_length() + 1  # a count of at most w bits fits k bits: add in k, then extend
            terms = [z3.ZeroExt(k - 1, z3.Extract(i, i, x)) for i in range(w)]
            while len(terms) > 1:  # a balanced tree of adders
                terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i] for i in range(0, len(terms), 2)]
            return z3.ZeroExt(x.size() - k, terms[0]) if x.size() > k else terms[0]
        return z3.Sum([z3.If(z3.Extract(i, i, x) == 1, 1, 0) for i in range(w)])
    if is_array(x):
        np = _np()
        return np.bitwise_count(x).astype(np.int64)
    if hasattr(x, "bit_count"):  # e.g. a set known only by its size (``checker.symbolic.counting.Count``)
        return x.bit_count()
    return int(x).bit_count()


def _reduce(fn, xs):
    out = xs[0]
    for x in xs[1:]:
        out = fn(out, x)
    return out


# -- optional records (``X | None``) on one state and on a frontier -------------------------------


class OptionalBatch:
    """A batch of optional records (``X | None`` per state): ``present`` (a bool array) and
    ``record``, an instance of the record class whose fields are arrays (their values where
    ``present`` is False mean nothing: :meth:`Layout.pack` stores 0 there). Reading a field
    reads the record's."""

    __slots__ = ("present", "record")

    def __init__(self, present: Any, record: Any):
        self.present = present
        self.record = record

    def __getattr__(self, name: str) -> Any:
        return getattr(self.record, name)


def is_present(v: Any) -> Any:
    """Whether an optional value is there: ``v is not None`` on one state, the ``present`` array
    of a batch (dual-use, as the helpers of :mod:`model.logic`)."""
    if v is None:
        return False
    if v.__class__ is OptionalBatch:
        return v.present
    return True


def optional(cond: Any, record: Any) -> Any:
    """``record if cond else None``: on a plain (or symbolic) condition a branch; on a batch
    condition an :class:`OptionalBatch` (``record`` may itself be one, or None)."""
    if type(cond).__module__ != "numpy":
        return record if cond else None
    if record is None:
        return None
    if record.__class__ is OptionalBatch:
        return OptionalBatch(_np().logical_and(cond, record.present), record.record)
    return OptionalBatch(cond, record)


def _opt_parts(v: Any) -> tuple[Any, Any]:
    if v is None:
        return False, None
    if v.__class__ is OptionalBatch:
        return v.present, v.record
    return True, v


def opt_ite(cond: Any, a: Any, b: Any) -> Any:
    """``a if cond else b`` for optional values (each a record, None, or a batch): on a batch
    condition the two merged state by state."""
    if type(cond).__module__ != "numpy":
        return a if cond else b
    np = _np()
    import attrs

    pa, ra = _opt_parts(a)
    pb, rb = _opt_parts(b)
    if ra is None and rb is None:
        return None
    if ra is None or rb is None:
        rec = ra if rb is None else rb
    else:
        rec = type(ra)(**{f.name: np.where(cond, getattr(ra, f.name), getattr(rb, f.name))
                          for f in attrs.fields(type(ra))})
    return OptionalBatch(np.where(cond, pa, pb), rec)


def opt_map(v: Any, fn) -> Any:
    """``fn(v)`` for a present optional value, None for an absent one, and on a batch the
    batch with ``fn`` applied to its record (``present`` kept)."""
    if v is None:
        return None
    if v.__class__ is OptionalBatch:
        return OptionalBatch(v.present, fn(v.record))
    return fn(v)
