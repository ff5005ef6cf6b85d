"""Playbooks: fixed action sequences run through a machine's ``step`` (the interpreter).

A scenario is a list of :class:`Step`: an action, how many times to apply it, and
optionally the rule that must reject it and expectations on the state after it.
:func:`run_scenario` applies the steps in order and records every discrepancy; it
never raises for a protocol rejection (a rejected step leaves the state unchanged,
as a rejected block does). Pure: no I/O (the JSON loader is ``checker.scenario``).

Expectations compare a machine's ``describe(state)`` (plain JSON values: enum names,
masks as sorted lists) field by field; a machine without ``describe`` is compared
on its attrs fields.
"""

from __future__ import annotations

import enum
import types
import typing
from typing import Any, Iterable, Mapping, Sequence

import attrs

from .core import Machine, Rejected

__all__ = ["Step", "StepOutcome", "ScenarioRun", "ScenarioError", "run_scenario", "build_action",
           "describe_state", "compare"]


class ScenarioError(ValueError):
    """A malformed scenario (unknown action, argument or field); ``where`` names it."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@attrs.frozen
class Step:
    action: Any
    repeat: int = 1
    #: the rule ID that must reject the action (``None``: it must be accepted)
    rejected_by: str | None = None
    #: expected fields of ``describe(state)`` after the step
    expect: Mapping[str, Any] = attrs.field(factory=dict)
    note: str = ""


@attrs.frozen
class StepOutcome:
    index: int
    step: Step
    #: the rejection of the (last) application, if any
    rejection: Rejected | None
    state: Any
    failures: tuple[str, ...] = ()


@attrs.frozen
class ScenarioRun:
    initial: Any
    outcomes: tuple[StepOutcome, ...]
    final: Any
    #: every discrepancy: an unexpected rejection or acceptance, a field that differs
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


def describe_state(machine: Machine, state: Any) -> dict[str, Any]:
    return machine.describe(state)


def compare(machine: Machine, state: Any, expect: Mapping[str, Any], where: str = "") -> list[str]:
    """The fields of ``expect`` that ``state`` does not have (one line each)."""
    got = describe_state(machine, state)
    out = []
    for key, want in expect.items():
        if key not in got:
            raise ScenarioError(f"{where}expect.{key}", f"no such field (fields: {', '.join(got)})")
        if got[key] != want:
            out.append(f"{where}{key}: expected {want!r}, got {got[key]!r}")
    return out


def run_scenario(machine: Machine, steps: Iterable[Step | Any], initial: Any = None,
                 expect: Mapping[str, Any] | None = None) -> ScenarioRun:
    """Run ``steps`` (``Step`` values, or bare actions meaning "accepted once") from
    ``initial`` (default: the machine's first initial state)."""
    state = next(iter(machine.init())) if initial is None else initial
    start = state
    outcomes: list[StepOutcome] = []
    failures: list[str] = []
    for i, step in enumerate(steps):
        if not isinstance(step, Step):
            step = Step(step)
        here = f"step {i + 1} ({type(step.action).__name__}): "
        mine: list[str] = []
        rejection = None
        for _ in range(step.repeat):
            try:
                state = machine.step(state, step.action)
                rejection = None
            except Rejected as r:
                rejection = r
            if step.rejected_by is None and rejection is not None:
                mine.append(f"{here}rejected by {rejection.rule_id} ({rejection.reason}), expected accepted")
                break
            if step.rejected_by is not None:
                if rejection is None:
                    mine.append(f"{here}accepted, expected rejected by {step.rejected_by}")
                elif rejection.rule_id != step.rejected_by:
                    mine.append(f"{here}rejected by {rejection.rule_id} ({rejection.reason}), "
                                f"expected {step.rejected_by}")
                break
        mine += compare(machine, state, step.expect, here)
        outcomes.append(StepOutcome(i, step, rejection, state, tuple(mine)))
        failures += mine
    if expect:
        failures += compare(machine, state, expect, "final: ")
    return ScenarioRun(start, tuple(outcomes), state, tuple(failures))


# -- building actions from plain values ---------------------------------------------------------


def _coerce(value: Any, typ: Any, where: str) -> Any:
    if typing.get_origin(typ) in (typing.Union, types.UnionType):  # ``X | None``
        if value is None:
            return None
        args = [a for a in typing.get_args(typ) if a is not type(None)]
        typ = args[0] if len(args) == 1 else typ
    if isinstance(typ, type) and issubclass(typ, enum.Enum):
        if isinstance(value, str):
            try:
                return typ[value]
            except KeyError:
                raise ScenarioError(where, f"{value!r} is not one of {', '.join(m.name for m in typ)}") from None
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return typ(value)
            except ValueError:
                raise ScenarioError(where, f"{value!r} is not a {typ.__name__}") from None
        raise ScenarioError(where, f"expected a {typ.__name__} name, got {value!r}")
    if typ is bool:
        if not isinstance(value, bool):
            raise ScenarioError(where, f"expected true or false, got {value!r}")
        return value
    if typ is int:
        if isinstance(value, list):  # a set of ids, given as a list: the bitmask
            mask = 0
            for x in value:
                if not isinstance(x, int) or isinstance(x, bool) or not 0 <= x < 4096:
                    raise ScenarioError(where, f"expected a list of ids, got {value!r}")
                mask |= 1 << x
            return mask
        if not isinstance(value, int) or isinstance(value, bool):
            raise ScenarioError(where, f"expected an integer, got {value!r}")
        return value
    return value


def build_action(classes: Mapping[str, type], name: Any, args: Any, where: str = "action") -> Any:
    """The action ``name(**args)`` from plain values: enum members by name, masks as
    lists of ids; raises :class:`ScenarioError` naming the bad field."""
    if not isinstance(name, str) or name not in classes:
        raise ScenarioError(where, f"unknown action {name!r} (known: {', '.join(sorted(classes))})")
    cls = classes[name]
    if args is None:
        args = {}
    if not isinstance(args, Mapping):
        raise ScenarioError(f"{where}.args", f"expected an object, got {args!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in attrs.fields(cls)}
    unknown = sorted(set(args) - set(fields))
    if unknown:
        raise ScenarioError(f"{where}.args.{unknown[0]}",
                            f"{name} has no argument {unknown[0]!r} (arguments: {', '.join(fields) or 'none'})")
    values = {}
    for fname, f in fields.items():
        if fname in args:
            values[fname] = _coerce(args[fname], hints.get(fname), f"{where}.args.{fname}")
        elif f.default is attrs.NOTHING:
            raise ScenarioError(f"{where}.args.{fname}", f"{name} needs argument {fname!r}")
    return cls(**values)


def steps_from(classes: Mapping[str, type], raw: Sequence[Mapping[str, Any]], where: str = "steps") -> list[Step]:
    """Steps from plain values: ``{"action": NAME, "args": {...}, "repeat": K,
    "rejected_by": RULE, "expect": {...}, "note": TEXT}``."""
    if not isinstance(raw, Sequence) or isinstance(raw, (str, bytes)):
        raise ScenarioError(where, "expected a list of steps")
    out = []
    for i, item in enumerate(raw):
        here = f"{where}[{i}]"
        if not isinstance(item, Mapping):
            raise ScenarioError(here, f"expected an object, got {item!r}")
        extra = sorted(set(item) - {"action", "args", "repeat", "rejected_by", "expect", "note"})
        if extra:
            raise ScenarioError(f"{here}.{extra[0]}", "unknown key")
        action = build_action(classes, item.get("action"), item.get("args"), here)
        repeat = item.get("repeat", 1)
        if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 1:
            raise ScenarioError(f"{here}.repeat", f"expected a positive integer, got {repeat!r}")
        rejected_by = item.get("rejected_by")
        if rejected_by is not None and not isinstance(rejected_by, str):
            raise ScenarioError(f"{here}.rejected_by", f"expected a rule ID, got {rejected_by!r}")
        expect = item.get("expect", {})
        if not isinstance(expect, Mapping):
            raise ScenarioError(f"{here}.expect", f"expected an object, got {expect!r}")
        note = item.get("note", "")
        out.append(Step(action, repeat, rejected_by, dict(expect), str(note)))
    return out


__all__ += ["steps_from"]
