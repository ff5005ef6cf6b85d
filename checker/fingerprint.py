"""Stable 64-bit fingerprints of states.

The canonical form of a value is a nested tuple of ints, strings, bools and
``None``: an attrs record becomes ``(class name, field values...)``, an enum its
``(class name, member name)``, a frozenset the sorted tuple of its members' forms,
a dict the sorted tuple of its pairs. Equal values have equal canonical forms in
every process and on every run (unlike Python's ``hash`` of strings). The
fingerprint is the first 8 bytes of the BLAKE2b digest of the form's ``repr``.

Records are memoized by value (they are immutable and hashable), so the many
sub-records a successor shares with its parent are encoded once; the memo is bounded
(``_MEMO_LIMIT`` records) and never holds the fingerprinted value itself, so a search
does not keep its states alive through it.
"""

from __future__ import annotations

import enum
import hashlib
from typing import Any, Callable

import attrs

__all__ = ["canonical", "fingerprint"]

_MEMO: dict[Any, Any] = {}
_MEMO_LIMIT = 65_536
_ENCODERS: dict[type, Callable[[Any], Any]] = {}
#: the encoders of records without the memo (a whole state is fingerprinted once, so it is
#: not kept alive by the memo; its sub-records, shared between states, are)
_RAW: dict[type, Callable[[Any], Any]] = {}


def _ident(x):
    return x


def _seq(x):
    return tuple(canonical(y) for y in x)


def _set(x):
    return ("#set",) + tuple(sorted((canonical(y) for y in x), key=repr))


def _map(x):
    return ("#map",) + tuple(sorted(((canonical(k), canonical(v)) for k, v in x.items()), key=repr))


def _encoder(t: type) -> Callable[[Any], Any]:
    enc = _ENCODERS.get(t)
    if enc is not None:
        return enc
    if t in (int, str, bool, type(None), bytes):
        enc = _ident
    elif t in (tuple, list):
        enc = _seq
    elif t in (frozenset, set):
        enc = _set
    elif t is dict:
        enc = _map
    elif issubclass(t, enum.Enum):
        name = t.__name__

        def enc(x, name=name):
            return (name, x.name)
    elif attrs.has(t):
        names = tuple(f.name for f in attrs.fields(t))
        cname = t.__name__
        hashable = t.__hash__ is not None

        def raw(x, names=names, cname=cname):
            return (cname,) + tuple(canonical(getattr(x, n)) for n in names)

        _RAW[t] = raw
        if hashable:
            def enc(x, raw=raw):
                try:
                    return _MEMO[x]
                except KeyError:
                    pass
                except TypeError:  # a record holding an unhashable value
                    return raw(x)
                v = raw(x)
                if len(_MEMO) >= _MEMO_LIMIT:
                    _MEMO.clear()
                _MEMO[x] = v
                return v
        else:
            enc = raw
    elif issubclass(t, int):
        enc = int
    else:
        raise TypeError(f"cannot fingerprint a value of type {t.__name__}")
    _ENCODERS[t] = enc
    return enc


def canonical(x: Any) -> Any:
    """The canonical form of ``x`` (see the module docstring)."""
    return _encoder(type(x))(x)


def fingerprint(x: Any) -> int:
    """A stable 64-bit fingerprint of ``x``'s canonical form."""
    t = type(x)
    enc = _RAW.get(t) or _encoder(t)
    data = repr(_RAW.get(t, enc)(x)).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")
