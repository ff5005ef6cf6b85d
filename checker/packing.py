"""Compact state encoding: a machine's state packed into one integer.

A machine may declare ``layout()``: for each field of its (attrs) state, the bits of
one element (a field is an int, or a tuple of ints such as one entry per core), and
``state_class``. Then a state is one integer (its *code*): the fields' elements
side by side, in declaration order. The code is injective, so it is also the
state's fingerprint (no hashing, no collisions), and a frontier of states is one
numpy ``int64`` array when the code fits in 63 bits (``checker.vector``).

The same :meth:`Layout.pack` / :meth:`Layout.unpack` text runs on Python ints and
on numpy arrays (shifts and masks only). A machine without ``layout`` is
fingerprinted by :func:`checker.fingerprint.fingerprint`.
"""

from __future__ import annotations

import enum
import weakref
from typing import Any, Iterator

import attrs

from paraspec.model.logic import OptionalBatch, _opt_parts as _parts

__all__ = ["Layout", "layout_of"]


@attrs.frozen
class Field:
    name: str
    #: bits of one element (of one whole record, for a tuple of records)
    bits: int
    #: number of elements (a tuple field), or None for a plain int field
    count: int | None
    offset: int
    #: a tuple of records (``attrs`` instances): their class and their own fields, whose offsets
    #: count from the start of one record
    record: type | None = None
    sub: tuple = ()
    #: an ``enum.IntEnum`` the plain ints are read back into (an enum-valued field, e.g. a status)
    enum: type | None = None
    #: a tuple of optional records (``X | None``): each element's bit 0 is its presence, the
    #: record's own fields follow it (all 0 when absent)
    optional: bool = False


def _enum_of(v: Any) -> type | None:
    return type(v) if isinstance(v, enum.IntEnum) else None


def _read(code: Any, off: int, f: Field) -> Any:
    v = (code >> off) & ((1 << f.bits) - 1)
    return f.enum(v) if f.enum is not None and v.__class__ is int else v


class Layout:
    """A state's fields side by side. A field's spec is ``(name, bits)`` for an int or a tuple
    of ints (``bits`` per element), or ``(name, ((sub, bits), ...))`` for a tuple of records
    (``attrs`` instances, e.g. one per para), whose own fields are laid out the same way
    within each record, or ``(name, ((sub, bits), ...), cls)`` for a tuple of optional records of
    class ``cls`` (``cls | None``, one presence bit each; a batch holds them as
    :class:`OptionalBatch`). An ``IntEnum`` value is stored as its int and read back as the enum."""

    def __init__(self, state_class: type, spec, example: Any):
        self.state_class = state_class
        fields = []
        offset = 0
        for name, bits, *opt in spec:
            v = getattr(example, name)
            count = len(v) if isinstance(v, tuple) else None
            if isinstance(bits, tuple):  # a tuple of records
                if not count:
                    raise ValueError(f"layout field {name} of records needs a non-empty tuple")
                rec = opt[0] if opt else type(v[0])
                sub, width = [], 1 if opt else 0
                for sname, sbits in bits:
                    a = attrs.fields_dict(rec)[sname]
                    sub.append(Field(sname, sbits, None, width,
                                     enum=a.type if isinstance(a.type, type) and issubclass(a.type, enum.IntEnum)
                                     else _enum_of(getattr(v[0], sname, None))))
                    width += sbits
                if sorted(a.name for a in attrs.fields(rec)) != sorted(s.name for s in sub):
                    raise ValueError(f"layout of {rec.__name__} must name every field")
                fields.append(Field(name, width, count, offset, rec, tuple(sub), optional=bool(opt)))
            else:
                fields.append(Field(name, bits, count, offset, enum=_enum_of(v[0] if count else v)))
            offset += fields[-1].bits * (count or 1)
        self.fields = tuple(fields)
        self.bits = offset
        names = [f.name for f in attrs.fields(state_class)]
        if sorted(names) != sorted(f.name for f in self.fields):
            raise ValueError(f"layout of {state_class.__name__} must name every field: {names}")

    @property
    def fits_int64(self) -> bool:
        return self.bits <= 63

    def leaves(self, s: Any) -> Iterator[tuple[str, int, int, Any]]:
        """Every stored value of a state (or batch): (field name, bits, offset, value). The
        fields of an absent optional record are 0 (on a batch: masked by its presence)."""
        for f in self.fields:
            v = getattr(s, f.name)
            if f.count is None:
                yield f.name, f.bits, f.offset, v
            elif f.record is None:
                for i in range(f.count):
                    yield f.name, f.bits, f.offset + i * f.bits, v[i]
            else:
                for i in range(f.count):
                    base = f.offset + i * f.bits
                    r = v[i]
                    if f.optional:
                        present, r = _parts(r)
                        yield f"{f.name}[{i}].present", 1, base, present
                        if r is None:
                            continue
                        if present is not True:
                            import numpy as np

                            for sf in f.sub:
                                yield f"{f.name}[{i}].{sf.name}", sf.bits, base + sf.offset, \
                                    np.where(present, getattr(r, sf.name), 0)
                            continue
                    for sf in f.sub:
                        yield f"{f.name}[{i}].{sf.name}", sf.bits, base + sf.offset, getattr(r, sf.name)

    def map(self, s: Any, fn) -> Any:
        """The state (or batch) with ``fn`` applied to every stored value (an optional record
        becomes an :class:`OptionalBatch`, its absent fields 0)."""
        vals = {}
        for f in self.fields:
            v = getattr(s, f.name)
            if f.count is None:
                vals[f.name] = fn(v)
            elif f.record is None:
                vals[f.name] = tuple(fn(x) for x in v)
            elif f.optional:
                out = []
                for r in v:
                    present, r = _parts(r)
                    out.append(OptionalBatch(fn(present), f.record(**{
                        sf.name: fn(0 if r is None else getattr(r, sf.name)) for sf in f.sub})))
                vals[f.name] = tuple(out)
            else:
                vals[f.name] = tuple(f.record(**{sf.name: fn(getattr(r, sf.name)) for sf in f.sub}) for r in v)
        return self.state_class(**vals)

    def pack(self, s: Any) -> Any:
        """The code of a state (an int), or of a batch of states (an int64 array)."""
        code = 0
        for _, bits, off, v in self.leaves(s):
            code = code | ((v & ((1 << bits) - 1)) << off)
        return code

    def code(self, s: Any) -> int:
        """The code of one state, checking that every value fits its bits (a state that
        does not fit is a model bug: ValueError). Straight-line code compiled once per
        layout (:meth:`_compile_code`); a state whose tuples are not of the example's
        length takes the general loop (:meth:`code_loop`)."""
        f = self._code
        if f is None:
            f = self._code = self._compile_code()
        return f(s)

    _code = None

    def _compile_code(self):
        """``code`` for states shaped like the example: one line per stored value, the
        range checks folded into one test (an OR of ints is negative iff one of them is;
        of non-negative ints, has bits at or above ``b`` iff one of them has). A layout with
        optional records (a presence bit per element) keeps the general loop."""
        if any(f.optional for f in self.fields):
            return self.code_loop
        lines = ["def code(s):"]
        leaves: list[tuple[str, int, int]] = []  # (variable, bits, offset)
        for k, f in enumerate(self.fields):
            lines.append(f"    v{k} = s.{f.name}")
            if f.count is None:
                leaves.append((f"v{k}", f.bits, f.offset))
                continue
            lines.append(f"    if len(v{k}) != {f.count}:")
            lines.append("        return loop(s)")
            for i in range(f.count):
                if f.record is None:
                    leaves.append((f"v{k}[{i}]", f.bits, f.offset + i * f.bits))
                else:
                    for sf in f.sub:
                        leaves.append((f"v{k}[{i}].{sf.name}", sf.bits, f.offset + i * f.bits + sf.offset))
        names = []
        for n, (expr, _, _) in enumerate(leaves):
            lines.append(f"    x{n} = {expr}")
            names.append(f"x{n}")
        if names:
            tests = [f"({' | '.join(names)}) < 0"]
            for bits in sorted({b for _, b, _ in leaves}):
                group = [f"x{n}" for n, (_, b, _) in enumerate(leaves) if b == bits]
                tests.append(f"({' | '.join(group)}) >> {bits}")
            lines.append(f"    if {' or '.join(tests)}:")
            lines.append("        check(s)")
            lines.append(f"    return {' | '.join(f'x{n} << {off}' if off else f'x{n}' for n, (_, _, off) in enumerate(leaves))}")
        else:
            lines.append("    return 0")
        scope: dict[str, Any] = {"loop": self.code_loop, "check": self.check}
        exec(compile("\n".join(lines) + "\n", f"<code of {self.state_class.__name__}>", "exec"), scope)
        return scope["code"]

    def code_loop(self, s: Any) -> int:
        """:meth:`code` by a loop over the fields (any tuple lengths)."""
        code = 0
        for f in self.fields:
            v = getattr(s, f.name)
            if f.count is None:
                if v < 0 or v >> f.bits:
                    self.check(s)
                code |= v << f.offset
            elif f.record is None:
                off = f.offset
                for x in v:
                    if x < 0 or x >> f.bits:
                        self.check(s)
                    code |= x << off
                    off += f.bits
            else:
                off = f.offset
                for r in v:
                    if f.optional:
                        if r is None:
                            off += f.bits
                            continue
                        code |= 1 << off
                    for sf in f.sub:
                        x = getattr(r, sf.name)
                        if x < 0 or x >> sf.bits:
                            self.check(s)
                        code |= x << (off + sf.offset)
                    off += f.bits
        return code

    def unpack(self, code: Any) -> Any:
        values = {}
        for f in self.fields:
            if f.count is None:
                values[f.name] = _read(code, f.offset, f)
            elif f.record is None:
                values[f.name] = tuple(_read(code, f.offset + i * f.bits, f) for i in range(f.count))
            else:
                recs = []
                for i in range(f.count):
                    base = f.offset + i * f.bits
                    r = f.record(**{sf.name: _read(code, base + sf.offset, sf) for sf in f.sub})
                    if f.optional:
                        present = (code >> base) & 1
                        r = (r if present else None) if present.__class__ is int else OptionalBatch(present == 1, r)
                    recs.append(r)
                values[f.name] = tuple(recs)
        return self.state_class(**values)

    def check(self, s: Any) -> None:
        """Raise ValueError when a field value does not fit its declared bits."""
        for name, bits, _, x in self.leaves(s):
            if x is True or x is False:
                continue
            if not 0 <= x < (1 << bits):
                raise ValueError(f"field {name}={x} does not fit in {bits} bits (layout of "
                                 f"{self.state_class.__name__})")


def layout_of(machine) -> Layout | None:
    """The machine's compact encoding, or None when it declares none."""
    cached = _LAYOUTS.get(machine)
    if cached is None:
        cls = machine.state_class
        spec = None if cls is None else machine.layout()
        if spec is None:
            return None
        cached = Layout(cls, spec, next(iter(machine.init())))
        _LAYOUTS[machine] = cached
    return cached


#: machine -> its Layout (built once per machine object)
_LAYOUTS: "weakref.WeakKeyDictionary[Any, Layout]" = weakref.WeakKeyDictionary()
