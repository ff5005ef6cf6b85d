"""The shape of a machine's state, for the symbolic engine.

A state is a tree of attrs records, fixed-length tuples, optional values (``X | None``)
and leaves (``int``, ``bool``, ``IntEnum``). The schema is derived from the state
class's annotations and an initial state (for tuple lengths); every leaf becomes one Z3
variable per step, every optional value one Boolean *presence* variable. An absent
optional value has its leaves fixed to 0, so each concrete state has exactly one
encoding.

States with other kinds of values (sets, dicts, strings, variable-length tuples) have no
encoding: :class:`NoEncoding` says which field.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from typing import Any

import attrs
import z3

from .symexec import WIDTH, SymBool, SymEnum, SymInt, Unsupported, bv, to_bool

__all__ = ["NoEncoding", "Leaf", "Schema", "derive_schema", "pattern_of"]


def _short(v: int) -> str:
    """An integer for a message: in full when short, else by its size."""
    return str(v) if abs(v) < 10**12 else f"{'-' if v < 0 else ''}~2^{abs(v).bit_length()}"


class NoEncoding(Exception):
    """The machine's state cannot be encoded symbolically."""


@attrs.frozen
class Leaf:
    path: str
    #: "int", "bool" or "present" (the presence flag of an optional value)
    kind: str
    enum: type | None = None
    #: path of the optional value this leaf lies inside (innermost), if any
    within: str | None = None


# nodes -----------------------------------------------------------------------------------------


@attrs.frozen
class _LeafNode:
    leaf: Leaf


@attrs.frozen
class _Tuple:
    path: str
    items: tuple


@attrs.frozen
class _Record:
    path: str
    cls: type
    fields: tuple  # ((name, node), ...)


@attrs.frozen
class _Optional:
    path: str
    flag: Leaf
    inner: Any


def pattern_of(path: str) -> str:
    """``paras[1].votes`` -> ``paras[*].votes`` (how domains are declared)."""
    return re.sub(r"\[\d+\]", "[*]", path)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _is_optional(tp) -> tuple[bool, Any]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return True, args[0]
    return False, tp


def _derive(tp, example, path: str, within: str | None):
    opt, inner_tp = _is_optional(tp)
    if opt:
        flag = Leaf(path + "?", "present", None, within)
        if example is not None:
            inner = _derive(inner_tp, example, path, path)
        else:
            inner = _derive(inner_tp, None, path, path)
        return _Optional(path, flag, inner)
    if tp is bool:
        return _LeafNode(Leaf(path, "bool", None, within))
    if isinstance(tp, type) and issubclass(tp, enum.IntEnum):
        return _LeafNode(Leaf(path, "int", tp, within))
    if tp is int:
        return _LeafNode(Leaf(path, "int", None, within))
    if isinstance(tp, type) and attrs.has(tp):
        hints = typing.get_type_hints(tp)
        fields = []
        for f in attrs.fields(tp):
            sub = None if example is None else getattr(example, f.name)
            fields.append((f.name, _derive(hints.get(f.name, f.type), sub, _join(path, f.name), within)))
        return _Record(path, tp, tuple(fields))
    origin = typing.get_origin(tp)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            if example is None:
                raise NoEncoding(f"field {path!r}: a variable-length tuple inside an absent optional value")
            return _Tuple(path, tuple(_derive(args[0], x, f"{path}[{i}]", within) for i, x in enumerate(example)))
        return _Tuple(path, tuple(_derive(a, None if example is None else example[i], f"{path}[{i}]", within)
                                  for i, a in enumerate(args)))
    raise NoEncoding(f"field {path or 'state'!r} has type {tp!r}, which the symbolic engine does not encode")


class Schema:
    """Leaves of a state shape, and conversions between states and Z3 terms."""

    def __init__(self, root, state_cls: type):
        self.root = root
        self.state_cls = state_cls
        self.leaves: list[Leaf] = []
        self._collect(root)
        self.by_path = {lf.path: lf for lf in self.leaves}

    def _collect(self, node):
        if isinstance(node, _LeafNode):
            self.leaves.append(node.leaf)
        elif isinstance(node, _Tuple):
            for it in node.items:
                self._collect(it)
        elif isinstance(node, _Record):
            for _, sub in node.fields:
                self._collect(sub)
        elif isinstance(node, _Optional):
            self.leaves.append(node.flag)
            self._collect(node.inner)

    # -- variables -------------------------------------------------------------------------------
    def variables(self, prefix: str) -> dict[str, Any]:
        out = {}
        for lf in self.leaves:
            name = f"{prefix}{lf.path}"
            out[lf.path] = z3.Bool(name) if lf.kind in ("bool", "present") else z3.BitVec(name, WIDTH)
        return out

    # -- concrete states ------------------------------------------------------------------------------
    def flatten_concrete(self, state) -> dict[str, int | bool]:
        out: dict[str, int | bool] = {}
        self._flat(self.root, state, out, concrete=True)
        return out

    def flatten(self, state) -> dict[str, Any]:
        """A state built by symbolic execution (leaves ints or Sym*) as Z3 terms per leaf."""
        out: dict[str, Any] = {}
        self._flat(self.root, state, out, concrete=False)
        return out

    def _zero(self, node, out, concrete):
        if isinstance(node, _LeafNode):
            out[node.leaf.path] = (False if node.leaf.kind == "bool" else 0) if concrete else (
                z3.BoolVal(False) if node.leaf.kind == "bool" else z3.BitVecVal(0, WIDTH))
        elif isinstance(node, _Tuple):
            for it in node.items:
                self._zero(it, out, concrete)
        elif isinstance(node, _Record):
            for _, sub in node.fields:
                self._zero(sub, out, concrete)
        elif isinstance(node, _Optional):
            out[node.flag.path] = False if concrete else z3.BoolVal(False)
            self._zero(node.inner, out, concrete)

    def _flat(self, node, value, out, concrete):
        if isinstance(node, _LeafNode):
            lf = node.leaf
            if lf.kind == "bool":
                if not isinstance(value, (bool, SymBool)) and not (isinstance(value, int) and value in (0, 1)):
                    raise Unsupported(f"{lf.path}: expected a bool, got {type(value).__name__}")
                out[lf.path] = bool(value) if concrete else to_bool(value)
            else:
                if not isinstance(value, (int, SymInt, SymBool)):
                    raise Unsupported(f"{lf.path}: expected an int, got {type(value).__name__}")
                out[lf.path] = int(value) if concrete else bv(value)
        elif isinstance(node, _Tuple):
            if not isinstance(value, tuple) or len(value) != len(node.items):
                raise Unsupported(f"{node.path}: expected a tuple of {len(node.items)}, got {value!r:.60}")
            for it, v in zip(node.items, value):
                self._flat(it, v, out, concrete)
        elif isinstance(node, _Record):
            if not isinstance(value, node.cls):
                raise Unsupported(f"{node.path or 'state'}: expected {node.cls.__name__}, got {type(value).__name__}")
            for name, sub in node.fields:
                self._flat(sub, getattr(value, name), out, concrete)
        elif isinstance(node, _Optional):
            if value is None:
                self._zero(node, out, concrete)
            else:
                out[node.flag.path] = True if concrete else z3.BoolVal(True)
                self._flat(node.inner, value, out, concrete)

    def unflatten(self, values: dict[str, Any]):
        """A concrete state from leaf values (ints / bools)."""
        return self._build(self.root, lambda lf: values[lf.path], lambda flag: bool(values[flag.path]))

    def build_symbolic(self, value_of):
        """A state whose leaves are symbolic values (``value_of(path)``); call inside an
        exploration (whether each optional value is present is a decision)."""
        return self._build(self.root, lambda lf: value_of(lf.path), lambda flag: bool(value_of(flag.path)))

    def optionals(self) -> list[tuple[str, list[str]]]:
        """``(flag path, inner leaf paths)`` per optional value."""
        out = []
        for lf in self.leaves:
            if lf.kind == "present":
                path = lf.path[:-1]
                inner = [x.path for x in self.leaves if x.within == path and x.path != lf.path]
                if any(self.by_path[p].kind == "present" for p in inner):
                    raise NoEncoding(f"{path}: optional values nested in optional values are not encoded")
                out.append((lf.path, inner))
        return out

    def leaf_values(self, bounds: dict[str, tuple[int, int]]) -> dict[str, tuple[str, tuple]]:
        """Each leaf's sort and allowed values (the domain), by path."""
        out = {}
        for lf in self.leaves:
            if lf.kind in ("bool", "present"):
                out[lf.path] = ("bool", (False, True))
            elif lf.enum is not None:
                out[lf.path] = ("int", tuple(sorted(int(e) for e in lf.enum)))
            else:
                lo, hi = bounds[lf.path]
                if hi - lo > 1 << 16:
                    raise NoEncoding(f"{lf.path}: domain [{lo}, {hi}] is too large to enumerate")
                out[lf.path] = ("int", tuple(range(lo, hi + 1)))
        return out

    def _build(self, node, leaf, present):
        if isinstance(node, _LeafNode):
            v = leaf(node.leaf)
            if node.leaf.enum is not None and isinstance(v, int):
                return node.leaf.enum(v)
            if node.leaf.enum is not None and isinstance(v, SymInt):
                return SymEnum(v.t, node.leaf.enum)
            if node.leaf.kind == "bool" and isinstance(v, int):
                return bool(v)
            return v
        if isinstance(node, _Tuple):
            return tuple(self._build(it, leaf, present) for it in node.items)
        if isinstance(node, _Record):
            return node.cls(**{name: self._build(sub, leaf, present) for name, sub in node.fields})
        if isinstance(node, _Optional):
            if not present(node.flag):
                return None
            return self._build(node.inner, leaf, present)
        raise AssertionError(node)

    # -- constraints ------------------------------------------------------------------------------------
    def equal(self, a: dict[str, Any], b: dict[str, Any]) -> Any:
        return z3.And(*[a[lf.path] == b[lf.path] for lf in self.leaves])

    def is_value(self, variables: dict[str, Any], concrete: dict[str, int | bool]) -> Any:
        parts = []
        for lf in self.leaves:
            v = concrete[lf.path]
            parts.append(variables[lf.path] == (z3.BoolVal(bool(v)) if lf.kind in ("bool", "present")
                                                else z3.BitVecVal(int(v), WIDTH)))
        return z3.And(*parts)

    def domain(self, variables: dict[str, Any], bounds: dict[str, tuple[int, int]]) -> list[Any]:
        """Each leaf within its bounds (enums within their values); leaves of an absent
        optional value are 0."""
        out = []
        for lf in self.leaves:
            if lf.kind == "present":
                continue
            x = variables[lf.path]
            if lf.kind == "bool":
                c = z3.BoolVal(True)
                zero = z3.Not(x)
            else:
                if lf.enum is not None:
                    c = z3.Or(*[x == int(e) for e in lf.enum])
                else:
                    lo, hi = bounds[lf.path]
                    if not (-(1 << (WIDTH - 1)) <= lo <= hi < (1 << (WIDTH - 1))):
                        raise NoEncoding(f"field {lf.path!r}: its domain [{_short(lo)}, {_short(hi)}] does not fit "
                                         f"the {WIDTH}-bit symbolic width (the parameters are too large for the "
                                         f"symbolic engine)")
                    c = z3.And(x >= lo, x <= hi)
                zero = x == 0
            if lf.within is not None:
                flag = variables[lf.within + "?"]
                out.append(z3.If(flag, c, zero))
            else:
                out.append(c)
        return out


def derive_schema(state) -> Schema:
    """The schema of ``state``'s class (an attrs record), with tuple lengths taken from
    ``state`` itself."""
    cls = type(state)
    if not attrs.has(cls):
        raise NoEncoding(f"the state is a {cls.__name__}, not an attrs record")
    root = _derive(cls, state, "", None)
    return Schema(root, cls)
