"""Connectives that work on Python values and on Z3 terms alike.

A rule written with these helpers (``And(a, b)``, ``ite(c, x, y)``, ``div(n - 1, 3)``)
is the same text for the explicit engine (Python ``bool``/``int``) and the symbolic
engine (Z3 ``BoolRef``/``ArithRef``). Z3 is imported lazily, so the explicit engine
does not pay for it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["is_symbolic", "And", "Or", "Not", "Implies", "ite", "div", "mod", "max_", "min_", "popcount"]


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
    if is_symbolic(*xs):
        return _z3().And(*xs)
    return all(xs)


def Or(*xs: Any) -> Any:
    if is_symbolic(*xs):
        return _z3().Or(*xs)
    return any(xs)


def Not(x: Any) -> Any:
    if is_symbolic(x):
        return _z3().Not(x)
    return not x


def Implies(a: Any, b: Any) -> Any:
    if is_symbolic(a, b):
        return _z3().Implies(a, b)
    return (not a) or bool(b)


def ite(c: Any, a: Any, b: Any) -> Any:
    if is_symbolic(c, a, b):
        return _z3().If(c, a, b)
    return a if c else b


def div(a: Any, b: Any) -> Any:
    """Floor division for a non-negative numerator and a positive divisor.

    Z3's integer division is Euclidean, which agrees with Python's ``//`` whenever the
    divisor is positive.
    """
    if is_symbolic(a, b):
        return a / b
    return a // b


def mod(a: Any, b: Any) -> Any:
    if is_symbolic(a, b):
        return a % b
    return a % b


def max_(a: Any, b: Any) -> Any:
    if is_symbolic(a, b):
        return _z3().If(a >= b, a, b)
    return a if a >= b else b


def min_(a: Any, b: Any) -> Any:
    if is_symbolic(a, b):
        return _z3().If(a <= b, a, b)
    return a if a <= b else b


def popcount(x: Any, width: int | None = None) -> Any:
    """Number of 1 bits. For a Z3 bit-vector, the low ``width`` bits are summed as an Int."""
    if is_symbolic(x):
        z3 = _z3()
        w = width if width is not None else x.size()
        return z3.Sum([z3.If(z3.Extract(i, i, x) == 1, 1, 0) for i in range(w)])
    return int(x).bit_count()
