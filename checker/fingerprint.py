"""Stable 64-bit fingerprints of states.

The canonical form of a value is a nested tuple of ints, strings, bools and
``None``: an attrs record becomes ``(class name, field values...)``, an enum its
``(class name, member name)``, a frozenset the sorted tuple of its members' forms,
a dict the sorted tuple of its pairs. Equal values have equal canonical forms in
every process and on every run (unlike Python's ``hash`` of strings). The
fingerprint is the first 8 bytes of the BLAKE2b digest of the form's ``repr``.

:func:`fingerprint` does not build the form: it writes the form's ``repr`` text
directly (:func:`text`, equal to ``repr(canonical(x))`` character for character, so
the fingerprints are those of the form). The text of a record, tuple or set is
memoized by identity (the successors of a state share most of its sub-values, and
an identity lookup costs no hashing; not by value: ``Rec(0, False)`` equals
``Rec(0, 0)`` but its form differs); the memo is bounded (``_MEMO_LIMIT`` entries) and
never holds the fingerprinted value itself, so a search does not keep its states
alive through it.
"""

from __future__ import annotations

import enum
import hashlib
from typing import Any, Callable

import attrs

__all__ = ["canonical", "fingerprint", "text"]

_MEMO: dict[Any, Any] = {}
#: entries of each memo before it is cleared. The hits come from the successors of one state (they
#: share its sub-values), so a few thousand entries keep them; each entry holds its value alive, and
#: 65,536 made the memo the largest part of a short, wide search (availability at tiny grew by 36 MB
#: during its search; by 14 MB with 4,096, at the same speed)
_MEMO_LIMIT = 4_096
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


def _by_value(raw: Callable[[Any], Any], memo: dict[Any, Any]) -> Callable[[Any], Any]:
    """``raw`` memoized by value in ``memo`` (bounded: cleared when full)."""
    def by_value(x):
        try:
            return memo[x]
        except KeyError:
            pass
        except TypeError:  # a record holding an unhashable value
            return raw(x)
        v = raw(x)
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[x] = v
        return v

    return by_value


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
        enc = _by_value(raw, _MEMO) if hashable else raw
    elif issubclass(t, int):
        enc = int
    else:
        raise TypeError(f"cannot fingerprint a value of type {t.__name__}")
    _ENCODERS[t] = enc
    return enc


def canonical(x: Any) -> Any:
    """The canonical form of ``x`` (see the module docstring)."""
    return _encoder(type(x))(x)


# -- the text of the canonical form, written directly ----------------------------------------------

#: id(value) -> (value, text): the texts of the records, tuples and sets seen lately (the value is
#: held, so its id is not reused while the entry lives)
_BY_ID: dict[int, tuple[Any, str]] = {}
#: type -> the text of a value of that type (memoized); _RAW_TEXT: without the memo
_TEXTS: dict[type, Callable[[Any], str]] = {}
_RAW_TEXT: dict[type, Callable[[Any], str]] = {}


#: the text of an int (``repr``)
_INT = int.__repr__


def _tuple_text(parts: list[str]) -> str:
    """``repr`` of a tuple whose items have the texts ``parts``."""
    if len(parts) == 1:
        return "(" + parts[0] + ",)"
    return "(" + ", ".join(parts) + ")"


def _seq_text(x) -> str:
    # ints and ``None`` (most items) inline, without the call of ``text``; one frame
    parts = []
    for y in x:
        parts.append(_INT(y) if y.__class__ is int else "None" if y is None else text(y))
    if len(parts) == 1:
        return "(" + parts[0] + ",)"
    return "(" + ", ".join(parts) + ")"


def _tuple_memo(x) -> str:
    """:func:`_seq_text` of a tuple, memoized by identity (as :func:`_by_id`, inline: a tuple
    of a new state misses the memo often)."""
    got = _BY_ID.get(id(x))
    if got is not None and got[0] is x:
        return got[1]
    parts = []
    for y in x:
        parts.append(_INT(y) if y.__class__ is int else "None" if y is None else text(y))
    v = "(" + parts[0] + ",)" if len(parts) == 1 else "(" + ", ".join(parts) + ")"
    if len(_BY_ID) >= _MEMO_LIMIT:
        _BY_ID.clear()
    _BY_ID[id(x)] = (x, v)
    return v


def _set_text(x) -> str:
    # the form sorts the members by the repr of their forms: their texts
    return _tuple_text(["'#set'"] + sorted(text(y) for y in x))


def _map_text(x) -> str:
    return _tuple_text(["'#map'"] + sorted("(" + text(k) + ", " + text(v) + ")" for k, v in x.items()))


def _by_id(raw: Callable[[Any], str]) -> Callable[[Any], str]:
    def memo(x):
        got = _BY_ID.get(id(x))
        if got is not None and got[0] is x:
            return got[1]
        v = raw(x)
        if len(_BY_ID) >= _MEMO_LIMIT:
            _BY_ID.clear()
        _BY_ID[id(x)] = (x, v)
        return v

    return memo


def _record_text(t: type) -> Callable[[Any], str]:
    """The text of a record of class ``t``: two functions compiled for the class, ``raw`` and
    the same memoized by identity (as :func:`_by_id`, inline)."""
    names = tuple(f.name for f in attrs.fields(t))
    head = repr(t.__name__)
    # ``"('Name', " + text(x.a) + ", " + text(x.b) + ")"`` as one f-string, with an int or
    # ``None`` field written inline, without the call of ``text`` (field names are identifiers
    # and the head a repr without braces, so the source is safe to compile)
    lines = "".join(f"    v = x.{n}\n    t{k} = _INT(v) if v.__class__ is int else 'None' if v is None else text(v)\n"
                    for k, n in enumerate(names))
    shown = (head + ", " + ", ".join("{t%d}" % k for k in range(len(names)))) if names else head + ","
    assert "{" not in head and "}" not in head
    src = (f"def raw(x):\n{lines}    return f{'(' + shown + ')'!r}\n"
           f"def memo(x):\n"
           f"    got = _BY_ID.get(id(x))\n"
           f"    if got is not None and got[0] is x:\n"
           f"        return got[1]\n"
           f"{lines}    r = f{'(' + shown + ')'!r}\n"
           f"    if len(_BY_ID) >= _MEMO_LIMIT:\n"
           f"        _BY_ID.clear()\n"
           f"    _BY_ID[id(x)] = (x, r)\n"
           f"    return r\n")
    scope: dict[str, Any] = {"text": text, "_INT": _INT, "_BY_ID": _BY_ID, "_MEMO_LIMIT": _MEMO_LIMIT}
    exec(compile(src, f"<fingerprint text of {t.__name__}>", "exec"), scope)
    _RAW_TEXT[t] = scope["raw"]
    # by identity only: a memo by value would take ``Rec(0, False)`` for ``Rec(0, 0)`` (they are
    # equal and hash alike), whose forms differ
    return scope["memo"]


def _texter(t: type) -> Callable[[Any], str]:
    if t is int:
        f: Callable[[Any], str] = int.__repr__
    elif t in (str, bool, type(None), bytes):
        f = repr
    elif t in (tuple, list):
        _RAW_TEXT[t] = _seq_text
        f = _tuple_memo if t is tuple else _seq_text
    elif t in (frozenset, set):
        _RAW_TEXT[t] = _set_text
        f = _by_id(_set_text) if t is frozenset else _set_text
    elif t is dict:
        f = _map_text
    elif issubclass(t, enum.Enum):
        head = repr(t.__name__)
        members: dict[Any, str] = {}

        def f(x):
            try:
                return members[x]
            except KeyError:
                v = members[x] = "(" + head + ", " + repr(x.name) + ")"
                return v
    elif attrs.has(t):
        f = _record_text(t)
    elif issubclass(t, int):
        def f(x):
            return repr(int(x))
    else:
        raise TypeError(f"cannot fingerprint a value of type {t.__name__}")
    _TEXTS[t] = f
    return f


def text(x: Any) -> str:
    """``repr(canonical(x))``, written without building the form."""
    t = type(x)
    f = _TEXTS.get(t)
    if f is None:
        f = _texter(t)
    return f(x)


def fingerprint(x: Any) -> int:
    """A stable 64-bit fingerprint of ``x``'s canonical form."""
    t = type(x)
    f = _RAW_TEXT.get(t)
    if f is None:
        f = _TEXTS.get(t) or _texter(t)
        f = _RAW_TEXT.get(t, f)
    return int.from_bytes(hashlib.blake2b(f(x).encode(), digest_size=8).digest(), "little")
