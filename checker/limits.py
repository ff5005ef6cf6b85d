"""Input size limits and the one safe way to read JSON from outside.

Every channel that brings data in (ITF traces, machine playbooks and runtime scenarios,
vector case files and ``config.json``, adapter responses and the requests the reference
adapter answers) reads its JSON through :func:`load_json_bytes` or :func:`read_json_file`,
so a hostile file is one :class:`InputError` (one line naming the file, and the byte
offset or field) instead of a ``UnicodeDecodeError``, ``ValueError`` or
``RecursionError``. The limits are documented, with their reasons, in ``docs/limits.md``;
a test keeps that page and this module in agreement.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = ["LIMITS", "InputError", "load_json_bytes", "read_json_file", "json_depth", "check_int",
           "MAX_FILE_BYTES", "MAX_JSON_DEPTH", "MAX_INT_DIGITS", "MAX_LINE_BYTES", "MAX_VALIDATORS",
           "MAX_REPEAT", "MAX_BLOCKS", "MAX_BIT_INDEX", "MAX_SCENARIO_INT", "MAX_TRACE_STATES"]

#: bytes of one JSON file read from disk (trace, playbook, scenario, vector case, config.json)
MAX_FILE_BYTES = 64 * 1024 * 1024
#: nesting depth of arrays and objects in any JSON input (paraspec's own files need at most 12)
MAX_JSON_DEPTH = 64
#: decimal digits of one integer in JSON, or in an ITF ``{"#bigint": "..."}`` string
MAX_INT_DIGITS = 1000
#: bytes of one line of the adapter protocol (a response read by ``vectors run``, a request
#: read by ``paraspec adapter``)
MAX_LINE_BYTES = 64 * 1024 * 1024
#: validators of a runtime scenario (``genesis.validators``, ``session_change.validators``
#: and ``queued``; a count or the length of a list), and any validator index in it
MAX_VALIDATORS = 10_000
#: ``repeat`` of one scenario block or playbook step
MAX_REPEAT = 100_000
#: blocks a runtime scenario applies in all (the sum of its blocks' ``repeat``), and steps
#: a playbook applies in all
MAX_BLOCKS = 100_000
#: any integer of a runtime scenario (a seed, a head, a para id ...), in absolute value
MAX_SCENARIO_INT = 2**63 - 1
#: a core (bit) index in a scenario's bitfield, and a bitfield's ``length``
MAX_BIT_INDEX = 10_000
#: states of one ITF trace
MAX_TRACE_STATES = 1_000_000

#: name -> (value, what it bounds): what ``docs/limits.md`` lists
LIMITS: dict[str, tuple[int, str]] = {
    "MAX_FILE_BYTES": (MAX_FILE_BYTES, "bytes of one JSON input file"),
    "MAX_JSON_DEPTH": (MAX_JSON_DEPTH, "nesting depth of arrays and objects"),
    "MAX_INT_DIGITS": (MAX_INT_DIGITS, "decimal digits of one integer (JSON number or #bigint)"),
    "MAX_LINE_BYTES": (MAX_LINE_BYTES, "bytes of one adapter-protocol line"),
    "MAX_VALIDATORS": (MAX_VALIDATORS, "validators of a runtime scenario, and a validator index"),
    "MAX_REPEAT": (MAX_REPEAT, "repeat of one scenario block or playbook step"),
    "MAX_BLOCKS": (MAX_BLOCKS, "blocks (steps) a scenario (playbook) applies in all"),
    "MAX_SCENARIO_INT": (MAX_SCENARIO_INT, "any integer of a runtime scenario, in absolute value"),
    "MAX_BIT_INDEX": (MAX_BIT_INDEX, "a bit index or bitfield length in a scenario"),
    "MAX_TRACE_STATES": (MAX_TRACE_STATES, "states of one ITF trace"),
}


class InputError(ValueError):
    """Input that breaks the JSON rules or a limit; the message is one line."""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _parse_int(s: str) -> int:
    digits = len(s) - (s[0] == "-")
    if digits > MAX_INT_DIGITS:
        raise InputError(f"an integer of {digits} digits (the limit is {MAX_INT_DIGITS}, MAX_INT_DIGITS)")
    return int(s)


def _parse_constant(s: str) -> Any:
    raise InputError(f"{s} is not a JSON value")


def json_depth(x: Any) -> int:
    """The nesting depth of a parsed JSON value (a scalar: 0), without recursion."""
    best = 0
    stack = [(x, 1)] if isinstance(x, (dict, list)) else []
    while stack:
        v, d = stack.pop()
        if d > best:
            best = d
            if best > MAX_JSON_DEPTH:
                return best
        items = v.values() if isinstance(v, dict) else v
        stack.extend((y, d + 1) for y in items if isinstance(y, (dict, list)))
    return best


def _lone_surrogate(x: Any) -> str | None:
    """A string (or key) of ``x`` holding a lone UTF-16 surrogate (``"\\ud800"``), which no
    UTF-8 output can carry."""
    stack = [x]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return v
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return None


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _utf8(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{name}: not UTF-8: byte 0x{data[e.start]:02x} at offset {e.start}") from None


def load_json_bytes(data: bytes | str, name: str, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Parse ``data`` (UTF-8 bytes, or text) as JSON within the limits; raise
    :class:`InputError` naming ``name`` on any failure."""
    if len(data) > max_bytes:
        raise InputError(f"{name}: {len(data)} bytes, more than the limit of {max_bytes}")
    text = _utf8(data, name) if isinstance(data, (bytes, bytearray)) else data
    try:
        obj = json.loads(text, parse_int=_parse_int, parse_constant=_parse_constant)
    except InputError as e:
        raise InputError(f"{name}: {e}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{name}: not JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except RecursionError:
        raise InputError(f"{name}: nested deeper than {MAX_JSON_DEPTH} (MAX_JSON_DEPTH)") from None
    except (ValueError, UnicodeError) as e:  # lone surrogates and the like
        raise InputError(f"{name}: not JSON: {_one_line(e)}") from None
    if json_depth(obj) > MAX_JSON_DEPTH:
        raise InputError(f"{name}: nested deeper than {MAX_JSON_DEPTH} (MAX_JSON_DEPTH)")
    if _SURROGATE.search(text) and _lone_surrogate(obj) is not None:
        raise InputError(f"{name}: a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), not Unicode text")
    return obj


def read_json_file(path: str | Path, name: str | None = None) -> Any:
    """Read and parse one JSON file within the limits; :class:`InputError` names the file."""
    name = str(path) if name is None else name
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory") from None
    except OSError as e:
        raise InputError(f"{name}: cannot read: {_one_line(e.strerror or e)}") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{name}: more than {MAX_FILE_BYTES} bytes (MAX_FILE_BYTES)")
    return load_json_bytes(data, name)


def check_int(v: Any, where: str, lo: int, hi: int, name: str) -> None:
    """Raise :class:`InputError` unless ``v`` (an int) is within ``[lo, hi]`` (limit ``name``)."""
    if isinstance(v, int) and not isinstance(v, bool) and not lo <= v <= hi:
        raise InputError(f"{where}: {_short_int(v)} is outside [{lo}, {hi}] ({name})")


def _short_int(v: int) -> str:
    s = str(v)
    return s if len(s) <= 24 else f"{s[:10]}...({len(s)} digits)"
