"""ITF traces (the JSON trace format of Apalache and Quint).

Writing: each state is an object with one entry per variable of the machine's state
plus ``mbt::actionTaken`` (the action kind that led to it, ``"init"`` first) and
``mbt::nondetPicks`` (the action's parameters), the convention Quint's ``--mbt``
uses, so other tools can replay the trace. Values: integers as ``{"#bigint": "..."}``,
tuples of a state as JSON arrays (sequences), frozensets as ``{"#set": [...]}``,
dicts as ``{"#map": [[k, v], ...]}``, attrs records as objects, enums as their
name, ``None`` as the Quint variant ``{"tag": "None", "value": {"#tup": []}}``.

Reading: :func:`load` parses any ITF file (ours or Quint's) into plain Python
values (``int``, ``str``, ``bool``, ``list``, ``tuple``, ``frozenset``, ``dict``)
and checks its structure, raising :class:`ItfError` with the field path on a
malformed file.
"""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Any

import attrs

from paraspec.model.core import action_args, action_name

from .limits import MAX_INT_DIGITS, MAX_TRACE_STATES, InputError, read_json_file
from .trace import Trace

__all__ = ["encode_value", "decode_value", "to_itf", "write", "load", "ItfError", "ItfTrace"]

SAFE_INT = 2**53 - 1


class ItfError(ValueError):
    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def encode_value(x: Any) -> Any:
    if x is None:
        return {"tag": "None", "value": {"#tup": []}}
    if isinstance(x, bool):
        return x
    if isinstance(x, enum.Enum):
        return x.name
    if isinstance(x, int):
        return {"#bigint": str(int(x))}
    if isinstance(x, str):
        return x
    if isinstance(x, (tuple, list)):
        return [encode_value(y) for y in x]
    if isinstance(x, (frozenset, set)):
        items = [encode_value(y) for y in x]
        items.sort(key=lambda v: json.dumps(v, sort_keys=True))
        return {"#set": items}
    if isinstance(x, dict):
        pairs = [[encode_value(k), encode_value(v)] for k, v in x.items()]
        pairs.sort(key=lambda kv: json.dumps(kv[0], sort_keys=True))
        return {"#map": pairs}
    if attrs.has(type(x)):
        return {f.name: encode_value(getattr(x, f.name)) for f in attrs.fields(type(x))}
    raise TypeError(f"cannot encode {type(x).__name__} in ITF")


def to_itf(trace: Trace, view=None, description: str = "") -> dict[str, Any]:
    """The ITF object of a trace. ``view(state)`` gives the state's variables."""
    from paraspec.model.core import Machine

    view = view or (lambda s: Machine.view(None, s))  # type: ignore[arg-type]
    states = []
    var_names: list[str] | None = None
    for i, s in enumerate(trace.states):
        vars_ = view(s)
        if var_names is None:
            var_names = list(vars_)
        obj: dict[str, Any] = {"#meta": {"index": i}}
        for k, v in vars_.items():
            obj[k] = encode_value(v)
        if i == 0:
            obj["mbt::actionTaken"] = "init"
            obj["mbt::nondetPicks"] = {}
        else:
            a = trace.actions[i - 1]
            obj["mbt::actionTaken"] = action_name(a)
            obj["mbt::nondetPicks"] = {k: encode_value(v) for k, v in action_args(a).items()}
        states.append(obj)
    meta: dict[str, Any] = {
        "format": "ITF",
        "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
        "source": "paraspec",
        "machine": trace.machine,
        "preset": trace.preset,
        "description": description,
    }
    if trace.mutant:
        meta["mutant"] = trace.mutant
    if trace.overrides:
        meta["overrides"] = {k: v for k, v in trace.overrides}
    if trace.parameters:
        meta["parameters"] = {k: v for k, v in trace.parameters}
    if trace.rejection is not None:
        a = trace.actions[-1]
        meta["rejected"] = {
            "action": action_name(a),
            "args": {k: encode_value(v) for k, v in action_args(a).items()},
            "rule": trace.rejection.rule_id,
            "reason": trace.rejection.reason,
        }
    out: dict[str, Any] = {
        "#meta": meta,
        "vars": (var_names or []) + ["mbt::actionTaken", "mbt::nondetPicks"],
        "states": states,
    }
    if trace.loop is not None:
        out["loop"] = trace.loop
    return out


def render(trace: Trace, view=None, description: str = "") -> str:
    """The text of the ITF file of ``trace``."""
    return json.dumps(to_itf(trace, view, description), indent=1, sort_keys=False) + "\n"


def write(trace: Trace, path: str | Path, view=None, description: str = "") -> Path:
    """Write atomically (a temporary file renamed into place): never a partial file."""
    from .outputs import atomic_write

    path = Path(path)
    atomic_write(path, render(trace, view, description))
    return path


# -- reading ------------------------------------------------------------------------------------


def _hashable(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return tuple(_hashable(y) for y in x)
    if isinstance(x, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in x.items()))
    return x


def decode_value(x: Any, path: str = "$") -> Any:
    if isinstance(x, bool) or isinstance(x, str):
        return x
    if isinstance(x, int):
        if abs(x) > SAFE_INT:
            raise ItfError(path, "plain JSON integer beyond ±(2^53-1); use {\"#bigint\": ...}")
        return x
    if isinstance(x, float):
        raise ItfError(path, f"non-integer number {x!r} is not an ITF value")
    if x is None:
        raise ItfError(path, "null is not an ITF value")
    if isinstance(x, list):
        return [decode_value(y, f"{path}[{i}]") for i, y in enumerate(x)]
    if isinstance(x, dict):
        if "#bigint" in x:
            v = x["#bigint"]
            if len(x) != 1 or not isinstance(v, str):
                raise ItfError(path, "#bigint must be the only key and hold a string")
            if len(v) > MAX_INT_DIGITS + 1:
                raise ItfError(path, f"#bigint of {len(v)} characters (the limit is {MAX_INT_DIGITS} digits, "
                                     f"MAX_INT_DIGITS)")
            try:
                return int(v)
            except ValueError:
                raise ItfError(path, f"#bigint {v!r} is not an integer") from None
        if "#tup" in x:
            if len(x) != 1 or not isinstance(x["#tup"], list):
                raise ItfError(path, "#tup must be the only key and hold a list")
            return tuple(decode_value(y, f"{path}.#tup[{i}]") for i, y in enumerate(x["#tup"]))
        if "#set" in x:
            if len(x) != 1 or not isinstance(x["#set"], list):
                raise ItfError(path, "#set must be the only key and hold a list")
            return frozenset(_hashable(decode_value(y, f"{path}.#set[{i}]")) for i, y in enumerate(x["#set"]))
        if "#map" in x:
            if len(x) != 1 or not isinstance(x["#map"], list):
                raise ItfError(path, "#map must be the only key and hold a list of pairs")
            out = {}
            for i, kv in enumerate(x["#map"]):
                if not isinstance(kv, list) or len(kv) != 2:
                    raise ItfError(f"{path}.#map[{i}]", "each entry must be a [key, value] pair")
                out[_hashable(decode_value(kv[0], f"{path}.#map[{i}][0]"))] = decode_value(kv[1], f"{path}.#map[{i}][1]")
            return out
        if "#unserializable" in x:
            if len(x) != 1 or not isinstance(x["#unserializable"], str):
                raise ItfError(path, "#unserializable must be the only key and hold a string")
            return ("#unserializable", x["#unserializable"])
        bad = [k for k in x if k.startswith("#")]
        if bad:
            raise ItfError(path, f"unknown ITF key {bad[0]!r}")
        return {k: decode_value(v, f"{path}.{k}") for k, v in x.items()}
    raise ItfError(path, f"unexpected JSON value {x!r}")


@attrs.frozen
class ItfTrace:
    meta: dict
    vars: tuple[str, ...]
    states: tuple[dict, ...]
    loop: int | None
    params: dict | None = None


def read_raw(path: str | Path) -> Any:
    """The JSON of an ITF file, read within the limits of :mod:`checker.limits`."""
    try:
        return read_json_file(path)
    except InputError as e:
        name = str(path)
        msg = str(e)
        reason = msg[len(name) + 2:] if msg.startswith(name + ": ") else msg
        raise ItfError(name, "cannot read: no such file" if reason == "no such file" else reason) from None


def load(path: str | Path) -> ItfTrace:
    """Read and check an ITF file; raise :class:`ItfError` naming file and field."""
    return parse(read_raw(path), str(path))


#: the ``#meta`` fields paraspec reads, and the JSON types each may have
META_TYPES: dict[str, tuple[type, ...]] = {
    "format": (str,), "format-description": (str,), "source": (str,), "machine": (str,),
    "preset": (str, type(None)), "description": (str,), "mutant": (str, type(None)), "overrides": (dict,),
    "parameters": (dict,), "rejected": (dict,), "index": (int,),
}
REJECTED_TYPES: dict[str, tuple[type, ...]] = {"action": (str,), "args": (dict,), "rule": (str,), "reason": (str,)}


def _check_fields(obj: dict, types_: dict[str, tuple[type, ...]], where: str, required: tuple[str, ...] = ()) -> None:
    for key in required:
        if key not in obj:
            raise ItfError(f"{where}.{key}", "missing")
    for key, allowed in types_.items():
        if key in obj:
            v = obj[key]
            if not isinstance(v, allowed) or (isinstance(v, bool) and bool not in allowed):
                names = " or ".join({str: "a string", dict: "an object", int: "an integer",
                                     type(None): "null"}[t] for t in allowed)
                raise ItfError(f"{where}.{key}", f"must be {names}, not {json_type_name(v)}")


def json_type_name(v: Any) -> str:
    from .codec import json_type

    return json_type(v)


def parse(obj: Any, name: str = "<itf>") -> ItfTrace:
    if not isinstance(obj, dict):
        raise ItfError(f"{name}: $", "an ITF trace is a JSON object")
    if "vars" not in obj:
        raise ItfError(f"{name}: $.vars", "missing (the list of state-variable names)")
    if "states" not in obj:
        raise ItfError(f"{name}: $.states", "missing (the list of states)")
    vars_ = obj["vars"]
    if not isinstance(vars_, list) or not all(isinstance(v, str) for v in vars_):
        raise ItfError(f"{name}: $.vars", "must be a list of strings")
    states = obj["states"]
    if not isinstance(states, list):
        raise ItfError(f"{name}: $.states", "must be a list")
    if not states:
        raise ItfError(f"{name}: $.states", "is empty (a trace has at least one state)")
    if len(states) > MAX_TRACE_STATES:
        raise ItfError(f"{name}: $.states", f"more than {MAX_TRACE_STATES} states (MAX_TRACE_STATES)")
    meta = obj.get("#meta", {})
    if not isinstance(meta, dict):
        raise ItfError(f"{name}: $.#meta", "must be an object")
    _check_fields(meta, META_TYPES, f"{name}: $.#meta")
    if "rejected" in meta:
        _check_fields(meta["rejected"], REJECTED_TYPES, f"{name}: $.#meta.rejected", ("action", "rule"))
    loop = obj.get("loop")
    if loop is not None and (not isinstance(loop, int) or isinstance(loop, bool) or not 0 <= loop < max(len(states), 1)):
        raise ItfError(f"{name}: $.loop", f"must be a state index below {len(states)}")
    out_states = []
    for i, st in enumerate(states):
        p = f"{name}: $.states[{i}]"
        if not isinstance(st, dict):
            raise ItfError(p, "a state must be an object")
        missing = [v for v in vars_ if v not in st]
        if missing:
            raise ItfError(f"{p}.{missing[0]}", "variable listed in vars is missing")
        decoded = {}
        for k, v in st.items():
            if k == "#meta":
                continue
            decoded[k] = decode_value(v, f"{p}.{k}")
        out_states.append(decoded)
    params = obj.get("params")
    return ItfTrace(meta=meta, vars=tuple(vars_), states=tuple(out_states), loop=loop,
                    params=params if isinstance(params, dict) else None)
