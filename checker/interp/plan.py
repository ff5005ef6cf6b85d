"""A scenario file of any machine, validated and turned into steps.

The file is checked against the machine's JSON Schema (:mod:`.schema`) before
anything else; then the machine is built (preset, ``set`` overrides). Action
arguments stay plain JSON until the step runs, since a selector in them is resolved
against the state the step starts from (:func:`decode_args`).
"""

from __future__ import annotations

import typing
from typing import Any, Callable

import attrs

from paraspec.model.core import Machine

from ..codec import CodecError, decode, encode, field_types
from ..limits import MAX_BLOCKS
from ..registry import UsageError, build, get_machine_class
from .contract import action_classes
from .schema import SchemaViolation, validate

__all__ = ["Plan", "PlanStep", "load_plan", "decode_args", "is_machine_scenario"]


@attrs.frozen
class PlanStep:
    index: int
    #: the action class's name, or None for a query
    action: str | None
    query: str | None
    args: dict[str, Any]
    repeat: int = 1
    rejected_by: str | None = None
    expect: dict[str, Any] = attrs.field(factory=dict)
    note: str = ""


@attrs.frozen
class Plan:
    path: str
    name: str
    title: str
    machine: Machine
    steps: tuple[PlanStep, ...]
    expect: dict[str, Any]
    doc: dict[str, Any] = attrs.field(eq=False, repr=False)
    #: the initial state the steps start from
    initial: Any = attrs.field(default=None, eq=False, repr=False)


def is_machine_scenario(doc: Any) -> bool:
    return isinstance(doc, dict) and "machine" in doc and "steps" in doc


def load_plan(path: str, doc: Any, reading: str | None = None) -> Plan:
    """The plan of scenario ``doc`` read from ``path``; :class:`UsageError` (one line:
    file, JSON path, rule) on bad input."""
    if not isinstance(doc, dict):
        raise UsageError(f"{path}: $: expected a JSON object (schema rule: type)")
    name = doc.get("machine")
    if not isinstance(name, str):
        raise UsageError(f"{path}: $.machine: expected a machine name, got {name!r} (schema rule: required)")
    try:
        cls = get_machine_class(name)
    except UsageError as e:
        raise UsageError(f"{path}: $.machine: {e}") from None
    probe = build(name, None)
    try:
        validate(doc, probe)
    except SchemaViolation as e:
        raise UsageError(f"{path}: {e}") from None
    total = sum(s.get("repeat", 1) for s in doc["steps"])
    if total > MAX_BLOCKS:
        raise UsageError(f"{path}: $.steps: the scenario applies {total} steps, more than {MAX_BLOCKS} (MAX_BLOCKS)")
    try:
        overrides = dict(doc.get("set") or {})
        if reading is not None:
            if overrides.get("reading", reading) != reading:
                raise UsageError(f"--reading {reading} and $.set.reading={overrides['reading']} disagree")
            overrides["reading"] = reading
        machine = build(name, doc.get("preset", doc.get("config", cls.default_preset)), None, overrides)
    except UsageError as e:
        raise UsageError(f"{path}: $.set: {e}") from None
    inits = list(machine.init())
    k = doc.get("init", 0)
    if k >= len(inits):
        raise UsageError(f"{path}: $.init: {k} is not below the {len(inits)} initial state(s) of machine {name!r} "
                         f"(rule: an index into init())")
    _check_paths(path, doc, machine, inits[k])
    steps = tuple(PlanStep(i, s.get("action"), s.get("query"), dict(s.get("args") or {}), s.get("repeat", 1),
                           s.get("rejected_by"), dict(s.get("expect") or {}), s.get("note", ""))
                  for i, s in enumerate(doc["steps"]))
    return Plan(path, str(doc.get("name", "")), str(doc.get("title", doc.get("description", ""))), machine,
                steps, dict(doc.get("expect") or {}), doc, inits[k])


def _check_paths(path: str, doc: dict, machine: Machine, initial: Any) -> None:
    """Every expectation's path starts at a field of the state (or at @events, @result)."""
    from .contract import state_json

    fields = state_json(machine, initial)
    where = [(f"$.steps[{i}].expect", s.get("expect") or {}) for i, s in enumerate(doc["steps"])]
    for here, exp in where + [("$.expect", doc.get("expect") or {})]:
        for key in exp:
            head = key.split(".")[0]
            if not head.startswith("@") and head not in fields:
                raise UsageError(f"{path}: {here}.{key}: no such state field (fields: {', '.join(fields)}) "
                                 f"(rule: a path starts at a state field)")


def _prepare(v: Any, tp: Any, select: Callable[[dict], Any], where: str) -> Any:
    """``v`` in the codec's JSON form for type ``tp``: selectors replaced by their
    answer, lists of ids given for an integer turned into the bitmask."""
    if isinstance(v, dict) and "select" in v:
        got = select(v)
        v = got if isinstance(got, int) else list(got)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if v is None:
            return None
        rest = [a for a in typing.get_args(tp) if a is not type(None)]
        tp = rest[0] if len(rest) == 1 else tp
        origin = typing.get_origin(tp)
    if tp is int and isinstance(v, list):
        mask = 0
        for x in v:
            mask |= 1 << x
        return mask
    if origin is tuple and isinstance(v, list):
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return [_prepare(x, args[0], select, f"{where}[{i}]") for i, x in enumerate(v)]
        return v
    if isinstance(tp, type) and attrs.has(tp) and isinstance(v, dict):
        return _record(v, tp, select, where)
    return v


def _record(v: dict, tp: type, select: Callable[[dict], Any], where: str) -> dict:
    """A record's JSON with the fields left out filled with their defaults."""
    hints = field_types(tp)
    out = {k: _prepare(x, hints.get(k), select, f"{where}.{k}") for k, x in v.items()}
    for f in attrs.fields(tp):
        if f.name in out or f.default is attrs.NOTHING:
            continue
        d = f.default.factory() if isinstance(f.default, attrs.Factory) else f.default  # type: ignore[attr-defined]
        out[f.name] = encode(d, hints[f.name])
    return out


def decode_args(machine: Machine, step: PlanStep, select: Callable[[dict], Any],
                where: str) -> Any:
    """The action of ``step``, its arguments decoded by the class's field types."""
    cls = action_classes(machine)[step.action]
    values = _record(step.args, cls, select, f"{where}.args")
    try:
        return decode(values, cls, f"{where}.args")
    except CodecError as e:
        raise UsageError(str(e)) from None
