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

import weakref
from typing import Any

import attrs

__all__ = ["Layout", "layout_of"]


@attrs.frozen
class Field:
    name: str
    bits: int
    #: number of elements (a tuple field), or None for a plain int field
    count: int | None
    offset: int


class Layout:
    def __init__(self, state_class: type, spec, example: Any):
        self.state_class = state_class
        fields = []
        offset = 0
        for name, bits in spec:
            v = getattr(example, name)
            count = len(v) if isinstance(v, tuple) else None
            fields.append(Field(name, bits, count, offset))
            offset += bits * (count or 1)
        self.fields = tuple(fields)
        self.bits = offset
        names = [f.name for f in attrs.fields(state_class)]
        if sorted(names) != sorted(f.name for f in self.fields):
            raise ValueError(f"layout of {state_class.__name__} must name every field: {names}")

    @property
    def fits_int64(self) -> bool:
        return self.bits <= 63

    def pack(self, s: Any) -> Any:
        """The code of a state (an int), or of a batch of states (an int64 array)."""
        code = 0
        for f in self.fields:
            v = getattr(s, f.name)
            mask = (1 << f.bits) - 1
            if f.count is None:
                code = code | ((v & mask) << f.offset)
            else:
                for i in range(f.count):
                    code = code | ((v[i] & mask) << (f.offset + i * f.bits))
        return code

    def code(self, s: Any) -> int:
        """The code of one state, checking that every value fits its bits (a state that
        does not fit is a model bug: ValueError)."""
        code = 0
        for f in self.fields:
            v = getattr(s, f.name)
            if f.count is None:
                if v < 0 or v >> f.bits:
                    self.check(s)
                code |= v << f.offset
            else:
                off = f.offset
                for x in v:
                    if x < 0 or x >> f.bits:
                        self.check(s)
                    code |= x << off
                    off += f.bits
        return code

    def unpack(self, code: Any) -> Any:
        values = {}
        for f in self.fields:
            mask = (1 << f.bits) - 1
            if f.count is None:
                values[f.name] = (code >> f.offset) & mask
            else:
                values[f.name] = tuple((code >> (f.offset + i * f.bits)) & mask for i in range(f.count))
        return self.state_class(**values)

    def check(self, s: Any) -> None:
        """Raise ValueError when a field value does not fit its declared bits."""
        for f in self.fields:
            v = getattr(s, f.name)
            for x in (v if f.count is not None else (v,)):
                if not 0 <= x < (1 << f.bits):
                    raise ValueError(f"field {f.name}={x} does not fit in {f.bits} bits (layout of "
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
