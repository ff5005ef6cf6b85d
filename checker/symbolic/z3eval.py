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


def compile_formulas(exprs: Sequence[Any]) -> Callable[[dict[str, Any]], tuple]:
    """``f(env) -> tuple`` of the values of ``exprs``; ``env`` maps variable names to
    Python ints (bit-vectors, any sign) or bools."""
    lines: list[str] = []
    names: dict[int, str] = {}
    consts: dict[str, Any] = {"_sdiv": _sdiv, "_srem": _srem, "_ashr": _ashr, "_s": to_signed}
    counter = [0]

    def width(e) -> int:
        return e.sort().size()

    def visit(e) -> str:
        key = e.get_id()
        got = names.get(key)
        if got is not None:
            return got
        for c in e.children():
            visit(c)
        args = [names[c.get_id()] for c in e.children()]
        k = e.decl().kind() if z3.is_app(e) else None
        counter[0] += 1
        v = f"v{counter[0]}"
        if z3.is_bv_value(e):
            code = str(e.as_long())
        elif z3.is_true(e):
            code = "True"
        elif z3.is_false(e):
            code = "False"
        elif z3.is_const(e) and k == z3.Z3_OP_UNINTERPRETED:
            if z3.is_bv(e):
                code = f"(env[{e.decl().name()!r}] & {(1 << width(e)) - 1})"
            else:
                code = f"bool(env[{e.decl().name()!r}])"
        else:
            w = width(e) if z3.is_bv(e) else None
            m = (1 << w) - 1 if w else None
            aw = width(e.children()[0]) if e.num_args() and z3.is_bv(e.children()[0]) else None
            if k == z3.Z3_OP_AND:
                code = " and ".join(f"({a})" for a in args) or "True"
            elif k == z3.Z3_OP_OR:
                code = " or ".join(f"({a})" for a in args) or "False"
            elif k == z3.Z3_OP_NOT:
                code = f"not {args[0]}"
            elif k == z3.Z3_OP_IMPLIES:
                code = f"(not {args[0]}) or {args[1]}"
            elif k in (z3.Z3_OP_EQ, z3.Z3_OP_IFF):
                code = f"{args[0]} == {args[1]}"
            elif k == z3.Z3_OP_DISTINCT:
                code = f"len({{{', '.join(args)}}}) == {len(args)}"
            elif k == z3.Z3_OP_XOR:
                code = f"bool({args[0]}) != bool({args[1]})"
            elif k == z3.Z3_OP_ITE:
                code = f"({args[1]} if {args[0]} else {args[2]})"
            elif k == z3.Z3_OP_BADD:
                code = f"({' + '.join(args)}) & {m}"
            elif k == z3.Z3_OP_BSUB:
                code = f"({args[0]} - {args[1]}) & {m}"
            elif k == z3.Z3_OP_BMUL:
                code = f"({' * '.join(args)}) & {m}"
            elif k == z3.Z3_OP_BNEG:
                code = f"(-{args[0]}) & {m}"
            elif k == z3.Z3_OP_BAND:
                code = " & ".join(args)
            elif k == z3.Z3_OP_BOR:
                code = " | ".join(args)
            elif k == z3.Z3_OP_BXOR:
                code = " ^ ".join(args)
            elif k == z3.Z3_OP_BNOT:
                code = f"(~{args[0]}) & {m}"
            elif k == z3.Z3_OP_BSHL:
                code = f"(({args[0]} << {args[1]}) & {m} if {args[1]} < {w} else 0)"
            elif k == z3.Z3_OP_BLSHR:
                code = f"({args[0]} >> {args[1]} if {args[1]} < {w} else 0)"
            elif k == z3.Z3_OP_BASHR:
                code = f"_ashr({args[0]}, {args[1]}, {w})"
            elif k in (z3.Z3_OP_BSDIV, z3.Z3_OP_BSDIV_I):
                code = f"_sdiv({args[0]}, {args[1]}, {w})"
            elif k in (z3.Z3_OP_BSREM, z3.Z3_OP_BSREM_I):
                code = f"_srem({args[0]}, {args[1]}, {w})"
            elif k in (z3.Z3_OP_BSMOD, z3.Z3_OP_BSMOD_I):
                x, y = f"_s({args[0]}, {w})", f"_s({args[1]}, {w})"
                code = f"(({x} % {y}) & {m} if {y} != 0 else {args[0]})"
            elif k == z3.Z3_OP_SLEQ:
                code = f"_s({args[0]}, {aw}) <= _s({args[1]}, {aw})"
            elif k == z3.Z3_OP_SLT:
                code = f"_s({args[0]}, {aw}) < _s({args[1]}, {aw})"
            elif k == z3.Z3_OP_SGEQ:
                code = f"_s({args[0]}, {aw}) >= _s({args[1]}, {aw})"
            elif k == z3.Z3_OP_SGT:
                code = f"_s({args[0]}, {aw}) > _s({args[1]}, {aw})"
            elif k == z3.Z3_OP_ULEQ:
                code = f"{args[0]} <= {args[1]}"
            elif k == z3.Z3_OP_ULT:
                code = f"{args[0]} < {args[1]}"
            elif k == z3.Z3_OP_UGEQ:
                code = f"{args[0]} >= {args[1]}"
            elif k == z3.Z3_OP_UGT:
                code = f"{args[0]} > {args[1]}"
            elif k == z3.Z3_OP_EXTRACT:
                hi, lo = e.params()
                code = f"({args[0]} >> {lo}) & {(1 << (hi - lo + 1)) - 1}"
            elif k == z3.Z3_OP_ZERO_EXT:
                code = args[0]
            elif k == z3.Z3_OP_SIGN_EXT:
                code = f"_s({args[0]}, {aw}) & {m}"
            elif k == z3.Z3_OP_CONCAT:
                parts, shift = [], 0
                for c, a in reversed(list(zip(e.children(), args))):
                    parts.append(f"({a} << {shift})")
                    shift += width(c)
                code = " | ".join(parts)
            else:
                raise NotImplementedError(f"z3 operator {e.decl().name()} (kind {k})")
        lines.append(f"    {v} = {code}")
        names[key] = v
        return v

    outs = [visit(e) for e in exprs]
    src = "def _f(env):\n" + "\n".join(lines) + f"\n    return ({', '.join(outs)}{',' if len(outs) == 1 else ''})\n"
    ns: dict[str, Any] = dict(consts)
    exec(compile(src, "<z3eval>", "exec"), ns)
    return ns["_f"]
