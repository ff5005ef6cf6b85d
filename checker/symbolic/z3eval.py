"""Evaluate Z3 formulas on concrete values, fast, in Python.

Used to check an encoding against the explicit engine on thousands of states: the
formulas (a DAG) are compiled once into straight-line Python code computing every
node once, with bit-vector semantics (values are unsigned integers modulo ``2**w``,
comparisons signed or unsigned as the operator says). Operators the encodings do not
produce raise ``NotImplementedError``, so a gap fails loudly.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import z3

__all__ = ["compile_formulas", "to_unsigned", "to_signed"]


def to_unsigned(v: int, w: int) -> int:
    return v & ((1 << w) - 1)


def to_signed(v: int, w: int) -> int:
    v &= (1 << w) - 1
    return v - (1 << w) if v >> (w - 1) else v


def _sdiv(a: int, b: int, w: int) -> int:  # truncating, on unsigned representations
    x, y = to_signed(a, w), to_signed(b, w)
    if y == 0:
        return to_unsigned(-1 if x >= 0 else 1, w)
    q = abs(x) // abs(y)
    return to_unsigned(q if (x >= 0) == (y >= 0) else -q, w)


def _srem(a: int, b: int, w: int) -> int:
    x, y = to_signed(a, w), to_signed(b, w)
    if y == 0:
        return a
    r = abs(x) % abs(y)
    return to_unsigned(r if x >= 0 else -r, w)


def _ashr(a: int, b: int, w: int) -> int:
    x = to_signed(a, w)
    if b >= w:
        return to_unsigned(-1 if x < 0 else 0, w)
    return to_unsigned(x >> b, w)


def _signed_cmp(op: str):
    return lambda a, w, m, aw: f"_s({a[0]}, {aw}) {op} _s({a[1]}, {aw})"


def _smod(a, w, m, aw) -> str:
    x, y = f"_s({a[0]}, {w})", f"_s({a[1]}, {w})"
    return f"(({x} % {y}) & {m} if {y} != 0 else {a[0]})"


#: operator kind -> the Python expression of a node, from its arguments' names ``a``, its
#: width ``w`` and mask ``m`` (bit-vectors), and its first argument's width ``aw``
_OPS: dict[int, Callable[[list[str], Any, Any, Any], str]] = {
    z3.Z3_OP_AND: lambda a, w, m, aw: " and ".join(f"({x})" for x in a) or "True",
    z3.Z3_OP_OR: lambda a, w, m, aw: " or ".join(f"({x})" for x in a) or "False",
    z3.Z3_OP_NOT: lambda a, w, m, aw: f"not {a[0]}",
    z3.Z3_OP_IMPLIES: lambda a, w, m, aw: f"(not {a[0]}) or {a[1]}",
    z3.Z3_OP_EQ: lambda a, w, m, aw: f"{a[0]} == {a[1]}",
    z3.Z3_OP_IFF: lambda a, w, m, aw: f"{a[0]} == {a[1]}",
    z3.Z3_OP_DISTINCT: lambda a, w, m, aw: f"len({{{', '.join(a)}}}) == {len(a)}",
    z3.Z3_OP_XOR: lambda a, w, m, aw: f"bool({a[0]}) != bool({a[1]})",
    z3.Z3_OP_ITE: lambda a, w, m, aw: f"({a[1]} if {a[0]} else {a[2]})",
    z3.Z3_OP_BADD: lambda a, w, m, aw: f"({' + '.join(a)}) & {m}",
    z3.Z3_OP_BSUB: lambda a, w, m, aw: f"({a[0]} - {a[1]}) & {m}",
    z3.Z3_OP_BMUL: lambda a, w, m, aw: f"({' * '.join(a)}) & {m}",
    z3.Z3_OP_BNEG: lambda a, w, m, aw: f"(-{a[0]}) & {m}",
    z3.Z3_OP_BAND: lambda a, w, m, aw: " & ".join(a),
    z3.Z3_OP_BOR: lambda a, w, m, aw: " | ".join(a),
    z3.Z3_OP_BXOR: lambda a, w, m, aw: " ^ ".join(a),
    z3.Z3_OP_BNOT: lambda a, w, m, aw: f"(~{a[0]}) & {m}",
    z3.Z3_OP_BSHL: lambda a, w, m, aw: f"(({a[0]} << {a[1]}) & {m} if {a[1]} < {w} else 0)",
    z3.Z3_OP_BLSHR: lambda a, w, m, aw: f"({a[0]} >> {a[1]} if {a[1]} < {w} else 0)",
    z3.Z3_OP_BASHR: lambda a, w, m, aw: f"_ashr({a[0]}, {a[1]}, {w})",
    z3.Z3_OP_BSDIV: lambda a, w, m, aw: f"_sdiv({a[0]}, {a[1]}, {w})",
    z3.Z3_OP_BSDIV_I: lambda a, w, m, aw: f"_sdiv({a[0]}, {a[1]}, {w})",
    z3.Z3_OP_BSREM: lambda a, w, m, aw: f"_srem({a[0]}, {a[1]}, {w})",
    z3.Z3_OP_BSREM_I: lambda a, w, m, aw: f"_srem({a[0]}, {a[1]}, {w})",
    z3.Z3_OP_BSMOD: _smod,
    z3.Z3_OP_BSMOD_I: _smod,
    z3.Z3_OP_SLEQ: _signed_cmp("<="),
    z3.Z3_OP_SLT: _signed_cmp("<"),
    z3.Z3_OP_SGEQ: _signed_cmp(">="),
    z3.Z3_OP_SGT: _signed_cmp(">"),
    z3.Z3_OP_ULEQ: lambda a, w, m, aw: f"{a[0]} <= {a[1]}",
    z3.Z3_OP_ULT: lambda a, w, m, aw: f"{a[0]} < {a[1]}",
    z3.Z3_OP_UGEQ: lambda a, w, m, aw: f"{a[0]} >= {a[1]}",
    z3.Z3_OP_UGT: lambda a, w, m, aw: f"{a[0]} > {a[1]}",
    z3.Z3_OP_ZERO_EXT: lambda a, w, m, aw: a[0],
    z3.Z3_OP_SIGN_EXT: lambda a, w, m, aw: f"_s({a[0]}, {aw}) & {m}",
}


def _width(e) -> int:
    return e.sort().size()


def _code(e, args: list[str]) -> str:
    """The Python expression computing node ``e`` from its arguments' names."""
    k = e.decl().kind() if z3.is_app(e) else None
    if z3.is_bv_value(e):
        return str(e.as_long())
    if z3.is_true(e):
        return "True"
    if z3.is_false(e):
        return "False"
    if z3.is_const(e) and k == z3.Z3_OP_UNINTERPRETED:
        if z3.is_bv(e):
            return f"(env[{e.decl().name()!r}] & {(1 << _width(e)) - 1})"
        return f"bool(env[{e.decl().name()!r}])"
    if k == z3.Z3_OP_EXTRACT:
        hi, lo = e.params()
        return f"({args[0]} >> {lo}) & {(1 << (hi - lo + 1)) - 1}"
    if k == z3.Z3_OP_CONCAT:
        parts, shift = [], 0
        for c, a in reversed(list(zip(e.children(), args))):
            parts.append(f"({a} << {shift})")
            shift += _width(c)
        return " | ".join(parts)
    op = _OPS.get(k)
    if op is None:
        raise NotImplementedError(f"z3 operator {e.decl().name()} (kind {k})")
    w = _width(e) if z3.is_bv(e) else None
    m = (1 << w) - 1 if w else None
    aw = _width(e.children()[0]) if e.num_args() and z3.is_bv(e.children()[0]) else None
    return op(args, w, m, aw)


def compile_formulas(exprs: Sequence[Any]) -> Callable[[dict[str, Any]], tuple]:
    """``f(env) -> tuple`` of the values of ``exprs``; ``env`` maps variable names to
    Python ints (bit-vectors, any sign) or bools."""
    lines: list[str] = []
    names: dict[int, str] = {}
    consts: dict[str, Any] = {"_sdiv": _sdiv, "_srem": _srem, "_ashr": _ashr, "_s": to_signed}

    def visit(e) -> str:
        key = e.get_id()
        got = names.get(key)
        if got is not None:
            return got
        for c in e.children():
            visit(c)
        code = _code(e, [names[c.get_id()] for c in e.children()])
        v = f"v{len(names) + 1}"
        lines.append(f"    {v} = {code}")
        names[key] = v
        return v

    outs = [visit(e) for e in exprs]
    src = "def _f(env):\n" + "\n".join(lines) + f"\n    return ({', '.join(outs)}{',' if len(outs) == 1 else ''})\n"
    ns: dict[str, Any] = dict(consts)
    exec(compile(src, "<z3eval>", "exec"), ns)
    return ns["_f"]
