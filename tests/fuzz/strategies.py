"""Hypothesis strategies: valid inputs made by the real tool, then mutated.

A JSON document is mutated structurally (a value swapped for a hostile one of another type, a key
or an item deleted, a key added, a container wrapped or emptied), then serialized (hostile values
that ``json.dumps`` cannot write: numbers of 5,000 digits, 100,000-deep nesting, ``1e999``, are
written raw), then optionally mutated as bytes (non-UTF-8 bytes, a BOM, truncation, control chars).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st


class Raw(str):
    """Text written into the JSON as is."""


DEEP = 100_000
MARKUP = ["[/x]", "[/]", "[bold]x", "[link=x]y[/link]", "[red", "]", "\\[/x]", "[/x]\n[/y]"]
CONTROL = ["\x00", "\n", "\r", "\x1b[31m", "\x07", "\u202e", "\u2028", "\ufeff", "\t", "\x7f"]
HOSTILE_SCALARS: list[Any] = [
    None, True, False, 0, -1, 1, 2, 3, 255, 2**31, 2**63, -(2**63), 2**64, 10**18, 10**30, 1.5, -0.0, 1e308,
    "", "x", "0", "-1", "true", "null", "NaN", "\udcff", "a" * 300, "é" * 2000,
    *MARKUP, *CONTROL,
    Raw("9" * 5000), Raw("-" + "9" * 5000), Raw("1e999"), Raw("-1e999"), Raw("NaN"), Raw("Infinity"),
    Raw("1" + "0" * 400), Raw("0." + "1" * 5000),
]
HOSTILE_CONTAINERS: list[Any] = [
    [], {}, [1, 2], [None], {"": None}, {"#bigint": "x"}, {"#bigint": "9" * 5000}, {"#bigint": 5},
    {"#set": 1}, {"#set": [[]]}, {"#tup": {}}, {"#map": [[1]]}, {"#map": 7}, {"#unserializable": "[/x]"},
    Raw("[" * DEEP + "]" * DEEP), Raw('{"a":' * 2000 + "1" + "}" * 2000), Raw("[" * 900 + "]" * 900),
]
HOSTILE = HOSTILE_SCALARS + HOSTILE_CONTAINERS


def _json_leaf():
    return st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                     st.text(max_size=20))


json_values = st.recursive(_json_leaf(), lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=8), kids, max_size=4)), max_leaves=10)
hostile_values = st.one_of(st.sampled_from(HOSTILE), json_values,
                           st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
                           st.sampled_from(MARKUP).map(lambda m: f"x{m}y"),
                           st.integers(min_value=-(2**80), max_value=2**80))


def dumps(v: Any) -> str:
    """JSON text of ``v``; Raw values are written as is; never fails."""
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(str(k)) + ":" + dumps(x) for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(dumps(x) for x in v) + "]"
    if isinstance(v, str):
        return json.dumps(v)  # lone surrogates are written as \udcff escapes
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, int):
        return str(v)
    return json.dumps(v)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, prefix + (i,))
    return out


def _get(doc: Any, path: tuple) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _set(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


def _copy(doc: Any) -> Any:
    if isinstance(doc, Raw):
        return doc
    if isinstance(doc, dict):
        return {k: _copy(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_copy(v) for v in doc]
    return doc


def _fresh(v: Any) -> Any:
    """A hostile value to put into a document: a copy, since later mutations of the document (add a
    key, duplicate items) must never change the shared constants of ``HOSTILE`` (they grew across
    examples, until a document nested 2,000 deep broke the strategies themselves: RecursionError,
    and Hypothesis saw the same example generate differently: FlakyStrategyDefinition)."""
    return _copy(v)


OPS = ("replace", "replace", "replace", "delete", "add_key", "wrap", "empty", "dup", "to_string", "big_list")


@st.composite
def mutated_json(draw, seed: Any, max_ops: int = 3) -> Any:
    """``seed`` (a JSON value) with 1..max_ops structural mutations."""
    doc = _copy(seed)
    for _ in range(draw(st.integers(1, max_ops))):
        paths = _paths(doc)
        # deeper paths are where type checks are missing: favour them
        path = draw(st.sampled_from(paths[1:] or paths)) if draw(st.booleans()) else draw(st.sampled_from(paths))
        op = draw(st.sampled_from(OPS))
        target = _get(doc, path)
        if op == "replace":
            doc = _set(doc, path, _fresh(draw(hostile_values)))
        elif op == "delete" and path:
            parent = _get(doc, path[:-1])
            del parent[path[-1]]
        elif op == "add_key" and isinstance(target, dict):
            key = draw(st.sampled_from(["#meta", "#bigint", "id", "extra", "", "[/x]", "\x00", "a" * 300])
                       | st.text(max_size=10))
            target[key] = _fresh(draw(hostile_values))
        elif op == "wrap":
            doc = _set(doc, path, draw(st.sampled_from([[target], {"#bigint": target}, {"x": target}])))
        elif op == "empty":
            doc = _set(doc, path, type(target)() if isinstance(target, (dict, list, str)) else None)
        elif op == "dup" and isinstance(target, list) and target:
            target.extend(target[: draw(st.integers(1, 3))])
        elif op == "to_string":
            doc = _set(doc, path, dumps(target) if not isinstance(target, Raw) else str(target))
        elif op == "big_list" and isinstance(target, list):
            doc = _set(doc, path, target * draw(st.sampled_from([50, 1000])) if target else [0] * 1000)
        else:
            doc = _set(doc, path, _fresh(draw(hostile_values)))
    return doc


BYTE_OPS = ("none", "none", "none", "non_utf8", "truncate", "bom", "control", "empty", "nul", "crlf", "utf16")


@st.composite
def mutated_bytes(draw, text: str) -> bytes:
    """``text`` encoded as UTF-8, with at most one byte-level mutation."""
    data = text.encode("utf-8", "surrogatepass")
    op = draw(st.sampled_from(BYTE_OPS))
    at = draw(st.integers(0, len(data)))
    if op == "non_utf8":
        return data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\xfe\xff"])) + data[at:]
    if op == "truncate":
        return data[:at]
    if op == "bom":
        return b"\xef\xbb\xbf" + data
    if op == "control":
        return data[:at] + draw(st.sampled_from([b"\x00", b"\x1b", b"\x0b", b"\x0c", b"\x85"])) + data[at:]
    if op == "empty":
        return b""
    if op == "nul":
        return b"\x00" * 8
    if op == "crlf":
        return data.replace(b"\n", b"\r\n")
    if op == "utf16":
        return text.encode("utf-16", "surrogatepass")
    return data


@st.composite
def mutated_file(draw, seed: Any) -> bytes:
    """A mutated JSON document (sometimes the seed itself), as file bytes."""
    doc = draw(mutated_json(seed)) if draw(st.integers(0, 9)) else seed
    return draw(mutated_bytes(dumps(doc)))


# ---- the command line ------------------------------------------------------------------------

HOSTILE_ARGS = [
    "", "-", "--", "-1", "0", "1", "2", "3", "1e308", "1e-308", "nan", "inf", "-inf", "0x10", "1_000", " 5", "5 ",
    "9" * 5000, "[/x]", "a\nb", "a\rb", "\x1b[2J", "\udcff", "\udcff.json", "é", "=", "a=", "=1", "x=y",
    "n_validators=", "n_validators=99999999999999999999", "n_validators=-1", "n_validators=[/x]",
    "committee=2", "committee=" + "9" * 5000, "max_candidates=0", "--help", "-h", "--version", "a" * 300,
]


def hostile_arg(valid: list[str]):
    return st.one_of(st.sampled_from(valid), st.sampled_from(HOSTILE_ARGS),
                     st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                             max_size=12))
