"""A typed JSON codec for model values, and the JSON Schema of each type.

Vectors carry states and inputs as plain JSON that an implementation in any
language reads without knowing Python. The encoding is driven by the attrs field
types of the model's classes, so it needs no per-machine code:

==========================  ==============================================================
model type                  JSON
==========================  ==============================================================
``int``                     an integer (bitsets too: bit ``i`` is validator / core ``i``)
``bool``, ``str``           ``true``/``false``, a string
an ``enum.Enum``            the member's *name* (``"TO_BE_DETERMINED"``)
``None`` (``X | None``)     ``null``
an attrs record             an object with one key per field, in declaration order
``tuple[X, ...]``           an array
``tuple[X, Y]``             an array of exactly that length
``frozenset[X]``            an array without duplicates, sorted by the elements' canonical
                            JSON text (``json.dumps(e, sort_keys=True, separators=(",", ":"))``)
``dict[str, V]``            an object, keys sorted
``dict[K, V]``              an array of ``[key, value]`` pairs sorted by the key's canonical
                            JSON text
==========================  ==============================================================

A field typed ``int`` holding an ``IntEnum`` is encoded as the integer. Decoding is
strict: a missing or unknown field, a wrong JSON type, an unknown enum name or a
duplicate set element raises :class:`CodecError` naming the field path.
"""

from __future__ import annotations

import enum
import json
import sys
import types
import typing
from typing import Any

import attrs

__all__ = ["CodecError", "SchemaDefs", "encode", "decode", "schema", "field_types", "canonical_json", "json_type"]


class CodecError(ValueError):
    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def canonical_json(x: Any) -> str:
    return json.dumps(x, sort_keys=True, separators=(",", ":"))


_HINTS: dict[type, dict[str, Any]] = {}



def field_types(cls: type) -> dict[str, Any]:
    """The resolved type of each attrs field of ``cls`` (``Any`` where it cannot be resolved)."""
    got = _HINTS.get(cls)
    if got is not None:
        return got
    try:
        hints = typing.get_type_hints(cls)
    except Exception:
        hints = {}
        module = sys.modules.get(cls.__module__)
        ns = dict(vars(module)) if module else {}
        for f in attrs.fields(cls):
            t = f.type
            if isinstance(t, str):
                try:
                    t = eval(t, ns)  # noqa: S307 - annotations of the model's own classes
                except Exception:
                    t = Any
            hints[f.name] = t
    out = {f.name: hints.get(f.name, f.type if f.type is not None and not isinstance(f.type, str) else Any)
           for f in attrs.fields(cls)}
    _HINTS[cls] = out
    return out


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _is_enum(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, enum.Enum)


# -- encoding ------------------------------------------------------------------------------------


def encode(x: Any, tp: Any = Any) -> Any:
    """The JSON value of ``x`` (of declared type ``tp``; ``Any``: by the value's own type)."""
    if tp is Any or tp is None or tp is object:
        return _encode_value(x)
    if tp is type(None):
        return None
    if _is_union(tp):
        if x is None:
            return None
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        for a in args:
            base = typing.get_origin(a) or a
            if isinstance(base, type) and isinstance(x, base) and not (base is int and isinstance(x, bool)):
                return encode(x, a)
        return _encode_value(x)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return [encode(y, args[0]) for y in x]
        if args and args != ((),):
            return [encode(y, a) for y, a in zip(x, args)]
        return [_encode_value(y) for y in x]
    if origin in (list, typing.Sequence):
        return [encode(y, args[0] if args else Any) for y in x]
    if origin in (frozenset, set, typing.AbstractSet):
        et = args[0] if args else Any
        return sorted((encode(y, et) for y in x), key=canonical_json)
    if origin in (dict, typing.Mapping):
        kt, vt = args if len(args) == 2 else (Any, Any)
        return _encode_dict(x, kt, vt)
    if tp is bool:
        return bool(x)
    if tp is int:
        return int(x)
    if tp is str:
        return str(x)
    if _is_enum(tp):
        return x.name
    if isinstance(tp, type) and attrs.has(tp):
        if attrs.has(type(x)):
            return _encode_record(x)
    return _encode_value(x)


def _encode_dict(x: dict, kt: Any, vt: Any) -> Any:
    if kt is str or (kt is Any and all(isinstance(k, str) for k in x)):
        return {k: encode(x[k], vt) for k in sorted(x)}
    pairs = [[encode(k, kt), encode(v, vt)] for k, v in x.items()]
    pairs.sort(key=lambda kv: canonical_json(kv[0]))
    return pairs


def _encode_record(x: Any) -> dict:
    hints = field_types(type(x))
    return {f.name: encode(getattr(x, f.name), hints[f.name]) for f in attrs.fields(type(x))}


def _encode_value(x: Any) -> Any:
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, enum.Enum):
        return x.name
    if isinstance(x, int):
        return int(x)
    if isinstance(x, (tuple, list)):
        return [_encode_value(y) for y in x]
    if isinstance(x, (frozenset, set)):
        return sorted((_encode_value(y) for y in x), key=canonical_json)
    if isinstance(x, dict):
        return _encode_dict(x, Any, Any)
    if attrs.has(type(x)):
        return _encode_record(x)
    raise CodecError("$", f"cannot encode a value of type {type(x).__name__}")


# -- decoding ------------------------------------------------------------------------------------


def json_type(v: Any) -> str:
    """The JSON Schema type name of a decoded JSON value (``integer`` apart from ``number``)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def _want(v: Any, kind: str, path: str) -> None:
    if json_type(v) != kind:
        raise CodecError(path, f"expected {'an' if kind[0] in 'aeio' else 'a'} {kind}, got {json_type(v)}")


def decode(v: Any, tp: Any, path: str = "$") -> Any:
    """The model value of JSON ``v`` read as type ``tp``; raises :class:`CodecError`."""
    if tp is Any or tp is None or tp is object:
        return _decode_value(v, path)
    if tp is type(None):
        if v is not None:
            raise CodecError(path, f"expected null, got {json_type(v)}")
        return None
    if _is_union(tp):
        args = typing.get_args(tp)
        if v is None:
            if type(None) in args:
                return None
            raise CodecError(path, "null is not allowed here")
        others = [a for a in args if a is not type(None)]
        errors = []
        for a in others:
            try:
                return decode(v, a, path)
            except CodecError as e:
                errors.append(e)
        raise errors[0] if len(errors) == 1 else CodecError(path, f"matches none of {len(others)} alternatives: "
                                                                  f"{errors[0].reason}")
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is tuple:  # a bare ``tuple`` annotation: elements decoded by their JSON shape
        origin = tuple
    if origin is tuple:
        _want(v, "array", path)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(y, args[0], f"{path}[{i}]") for i, y in enumerate(v))
        if args and args != ((),):
            if len(v) != len(args):
                raise CodecError(path, f"expected an array of {len(args)} elements, got {len(v)}")
            return tuple(decode(y, a, f"{path}[{i}]") for i, (y, a) in enumerate(zip(v, args)))
        return tuple(_decode_value(y, f"{path}[{i}]") for i, y in enumerate(v))
    if origin in (list, typing.Sequence):
        _want(v, "array", path)
        return [decode(y, args[0] if args else Any, f"{path}[{i}]") for i, y in enumerate(v)]
    if origin in (frozenset, set, typing.AbstractSet):
        _want(v, "array", path)
        et = args[0] if args else Any
        items = [decode(y, et, f"{path}[{i}]") for i, y in enumerate(v)]
        out = frozenset(items)
        if len(out) != len(items):
            raise CodecError(path, "a set lists an element twice")
        return out if origin is not set else set(out)
    if origin in (dict, typing.Mapping):
        kt, vt = args if len(args) == 2 else (Any, Any)
        return _decode_dict(v, kt, vt, path)
    if tp is bool:
        _want(v, "boolean", path)
        return v
    if tp is int:
        _want(v, "integer", path)
        return v
    if tp is str:
        _want(v, "string", path)
        return v
    if _is_enum(tp):
        if not isinstance(v, str):
            raise CodecError(path, f"expected one of {', '.join(m.name for m in tp)} (a string), got {json_type(v)}")
        try:
            return tp[v]
        except KeyError:
            raise CodecError(path, f"{v!r} is not one of {', '.join(m.name for m in tp)}") from None
    if isinstance(tp, type) and attrs.has(tp):
        return decode_record(v, tp, path)
    raise CodecError(path, f"cannot decode type {tp!r}")


def decode_record(v: Any, cls: type, path: str = "$") -> Any:
    _want(v, "object", path)
    hints = field_types(cls)
    names = [f.name for f in attrs.fields(cls)]
    unknown = [k for k in v if k not in hints]
    if unknown:
        raise CodecError(f"{path}.{unknown[0]}", f"unknown field of {cls.__name__}")
    missing = [n for n in names if n not in v]
    if missing:
        raise CodecError(f"{path}.{missing[0]}", f"missing field of {cls.__name__}")
    kwargs = {}
    for f in attrs.fields(cls):
        kwargs[f.name if not f.name.startswith("_") else f.alias] = decode(v[f.name], hints[f.name],
                                                                           f"{path}.{f.name}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise CodecError(path, f"not a valid {cls.__name__}: {e}") from None


def _decode_dict(v: Any, kt: Any, vt: Any, path: str) -> dict:
    if isinstance(v, dict) and (kt is str or kt is Any):
        return {k: decode(x, vt, f"{path}.{k}") for k, x in v.items()}
    _want(v, "array", path)
    out = {}
    for i, kv in enumerate(v):
        if not isinstance(kv, list) or len(kv) != 2:
            raise CodecError(f"{path}[{i}]", "expected a [key, value] pair")
        k = decode(kv[0], kt, f"{path}[{i}][0]")
        if k in out:
            raise CodecError(f"{path}[{i}][0]", "a map lists a key twice")
        out[k] = decode(kv[1], vt, f"{path}[{i}][1]")
    return out


def _decode_value(v: Any, path: str) -> Any:
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, list):
        return tuple(_decode_value(y, f"{path}[{i}]") for i, y in enumerate(v))
    if isinstance(v, dict):
        return {k: _decode_value(x, f"{path}.{k}") for k, x in v.items()}
    raise CodecError(path, f"unexpected JSON value of type {json_type(v)}")


_DOCS: dict[type, dict[str, str]] = {}


def field_docs(cls: type) -> dict[str, str]:
    """The ``#:`` comments above the fields of a class's source, by field name."""
    got = _DOCS.get(cls)
    if got is not None:
        return got
    import inspect
    import re

    out: dict[str, str] = {}
    try:
        lines = inspect.getsource(cls).splitlines()
    except (OSError, TypeError):
        lines = []
    pending: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#:"):
            pending.append(stripped[2:].strip())
            continue
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:", stripped)
        if m and pending:
            out[m.group(1)] = " ".join(pending)
        pending = []
    _DOCS[cls] = out
    return out


# -- JSON Schema ------------------------------------------------------------------------------------


class SchemaDefs(dict):
    """The ``$defs`` of a schema being built, remembering which class owns each name."""

    def __init__(self):
        super().__init__()
        self.owners: dict[str, type] = {}


def schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the encoding of ``tp``; records go in ``defs``
    (under their class name; a second class of the same name gets its qualified name)."""
    if tp is Any or tp is None or tp is object:
        return {}
    if tp is type(None):
        return {"type": "null"}
    if _is_union(tp):
        return {"anyOf": [schema(a, defs) for a in typing.get_args(tp)]}
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": schema(args[0], defs)}
        if args and args != ((),):
            return {"type": "array", "prefixItems": [schema(a, defs) for a in args], "items": False,
                    "minItems": len(args)}
        return {"type": "array"}
    if origin in (list, typing.Sequence):
        return {"type": "array", "items": schema(args[0], defs) if args else {}}
    if origin in (frozenset, set, typing.AbstractSet):
        return {"type": "array", "items": schema(args[0], defs) if args else {}, "uniqueItems": True}
    if origin in (dict, typing.Mapping):
        kt, vt = args if len(args) == 2 else (Any, Any)
        if kt is str:
            return {"type": "object", "additionalProperties": schema(vt, defs)}
        return {"type": "array", "items": {"type": "array", "prefixItems": [schema(kt, defs), schema(vt, defs)],
                                           "items": False, "minItems": 2}}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is str:
        return {"type": "string"}
    if _is_enum(tp):
        return {"enum": [m.name for m in tp]}
    if isinstance(tp, type) and attrs.has(tp):
        owners = defs.owners if isinstance(defs, SchemaDefs) else {}
        name = tp.__name__
        if owners.get(name, tp) is not tp:
            name = f"{tp.__module__}.{tp.__qualname__}"
        owners[name] = tp
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            hints = field_types(tp)
            docs = field_docs(tp)
            props = {}
            for f in attrs.fields(tp):
                sub = schema(hints[f.name], defs)
                if f.name in docs:
                    sub = {"description": docs[f.name], **sub} if "$ref" not in sub else \
                        {"description": docs[f.name], "allOf": [sub]}
                props[f.name] = sub
            doc = (tp.__doc__ or "").strip()  # the whole docstring: later paragraphs say what null means
            body: dict[str, Any] = {"type": "object"}
            if doc and not doc.startswith(f"{name}("):
                body["description"] = " ".join(doc.split())
            body.update({"properties": props, "required": list(props), "additionalProperties": False})
            defs[name] = body
        return {"$ref": f"#/$defs/{name}"}
    return {}
