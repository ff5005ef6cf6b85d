"""One JSON Schema per machine for its scenario files, generated from the machine contract.

The schema of machine ``M`` (shipped as ``checker/schemas/M.scenario.schema.json``;
``python -m paraspec.checker.interp.schema`` rewrites them and a test checks they are
current) types every step: ``action`` is one of the machine's action classes and
``args`` that class's fields (the typed codec of ``checker.codec``: enums by name,
records as objects), where an integer may also be given as a list of ids (a bitmask)
and any argument as a selector object (``{"select": NAME, ...}``); ``query`` is one of
the machine's queries (``paraspec.model.queries``) with its integer parameters.
:func:`validate` checks a file against it with ``jsonschema`` before the model sees
anything, and reports the first error as one line: the file, the JSON path of the bad
value and the schema rule it breaks.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import attrs

from paraspec.model.core import Machine

from ..codec import SchemaDefs, schema
from ..limits import MAX_BLOCKS, MAX_REPEAT
from .contract import action_classes, queries, selectors

__all__ = ["FORMAT", "SCHEMA_DIR", "scenario_schema", "schema_file", "validate", "SchemaViolation",
           "all_scenario_schemas", "check_shipped", "write_shipped"]

FORMAT = "paraspec-scenario/1"
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
RULE_PATTERN = "^[A-Z]{2,4}-[0-9]+$"
#: a state path: dotted field names and list indices, or @events / @result and a path below
PATH_PATTERN = r"^(@events|@result|[A-Za-z_][A-Za-z0-9_]*)(\.[A-Za-z0-9_]+)*$"


class SchemaViolation(ValueError):
    """A scenario file breaks its machine's schema: ``where`` is the JSON path."""

    def __init__(self, where: str, reason: str):
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


def schema_file(machine_name: str) -> Path:
    return SCHEMA_DIR / f"{machine_name}.scenario.schema.json"


def _loose(prop: dict[str, Any]) -> dict[str, Any]:
    """An argument's schema that also admits a selector (and, for an integer, a list of ids)."""
    alts = [prop]
    if prop.get("type") == "integer" or prop.get("allOf", [{}])[0].get("type") == "integer":
        alts.append({"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 4095},
                     "uniqueItems": True, "description": "a set of ids, as a bitmask"})
    alts.append({"$ref": "#/$defs/Selector"})
    return {"anyOf": alts}


def _selector_def(machine: Machine) -> dict[str, Any]:
    sels = selectors(machine)
    names = sorted(sels)
    params = sorted({p for q in sels.values() for p in q.params})
    body: dict[str, Any] = {
        "type": "object",
        "description": "validators named by their role in the current state: the selector's answer "
                       "(validator indices, ascending; a bitmask where the field is an integer), its first k "
                       "when k is given, or the one validator at position pick",
        "properties": {"select": {"enum": names} if names else {"not": {}},
                       "k": {"type": "integer", "minimum": 0},
                       "pick": {"type": "integer", "minimum": 0,
                                "description": "the one validator at this position of the answer"},
                       **{p: {"type": "integer"} for p in params}},
        "required": ["select"],
        "additionalProperties": False,
    }
    return body


def _query_step_rules(machine: Machine) -> list[dict[str, Any]]:
    out = []
    for name, q in sorted(queries(machine).items()):
        need = [p for p in q.params if p not in q.optional]
        then: dict[str, Any] = {"properties": {"args": {
            "type": "object", "properties": {p: {"type": "integer"} for p in q.params},
            "required": need, "additionalProperties": False}}}
        if need:
            then["required"] = ["args"]
        out.append({"if": {"properties": {"query": {"const": name}}, "required": ["query"]}, "then": then})
    return out


def _step_def(machine: Machine, names: list[str]) -> dict[str, Any]:
    classes = action_classes(machine)
    rules = []
    for n in names:
        then: dict[str, Any] = {"properties": {"args": {"$ref": f"#/$defs/{n}"}}}
        if any(f.default is attrs.NOTHING for f in attrs.fields(classes[n])):
            then["required"] = ["args"]
        rules.append({"if": {"properties": {"action": {"const": n}}, "required": ["action"]}, "then": then})
    qnames = sorted(queries(machine))
    return {
        "type": "object",
        "description": "an action (with its args) applied repeat times, or a query of the state",
        "properties": {
            "action": {"enum": names},
            "query": {"enum": qnames} if qnames else {"not": {}, "description": "this machine has no queries"},
            "args": {"type": "object"},
            "repeat": {"type": "integer", "minimum": 1, "maximum": MAX_REPEAT, "$comment": "MAX_REPEAT"},
            "rejected_by": {"type": "string", "pattern": RULE_PATTERN,
                            "description": "the rule that must reject the action"},
            "expect": {"$ref": "#/$defs/Expect"},
            "note": {"type": "string"},
        },
        "additionalProperties": False,
        "oneOf": [{"required": ["action"], "not": {"required": ["query"]}},
                  {"required": ["query"], "not": {"required": ["action"]}}],
        "allOf": rules + _query_step_rules(machine),
    }


def scenario_schema(machine: Machine) -> dict[str, Any]:
    """The JSON Schema of ``machine``'s scenario files."""
    defs = SchemaDefs()
    classes = action_classes(machine)
    for cls in classes.values():
        schema(cls, defs)
    for name, body in defs.items():
        props = body.get("properties", {})
        for k in list(props):
            props[k] = _loose(props[k])
        owner = defs.owners.get(name)
        if owner is not None and "required" in body:
            body["required"] = [f.name for f in attrs.fields(owner) if f.default is attrs.NOTHING]
    out_defs: dict[str, Any] = dict(copy.deepcopy(dict(defs)))
    out_defs["Selector"] = _selector_def(machine)
    out_defs["Expect"] = {
        "type": "object",
        "description": "path -> expected JSON value: a state path (cores.0.para), or @events / @result "
                       "(the step's events, a query's answer) and a path below",
        "propertyNames": {"pattern": PATH_PATTERN},
    }
    out_defs["Step"] = _step_def(machine, list(classes))
    cls = type(machine)
    return {
        "$schema": DRAFT,
        "title": f"paraspec scenario: {machine.name}",
        "description": f"a scenario of machine {machine.name} ({cls.description}): steps applied in order "
                       f"to its initial state",
        "type": "object",
        "properties": {
            "format": {"const": FORMAT},
            "name": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "source": {"type": "string", "description": "where the scenario comes from (a spec citation)"},
            "machine": {"const": machine.name},
            "preset": {"enum": list(cls.presets)},
            "config": {"enum": list(cls.presets), "description": "the same as preset (older playbooks)"},
            "set": {"type": "object", "propertyNames": {"enum": list(cls.parameter_names())},
                    "additionalProperties": {"type": ["integer", "string", "boolean"]},
                    "description": "parameter overrides, as --set gives them"},
            "init": {"type": "integer", "minimum": 0,
                     "description": "which of the machine's initial states to start from (their order in init(); "
                                    "default 0)"},
            "steps": {"type": "array", "items": {"$ref": "#/$defs/Step"}, "maxItems": MAX_BLOCKS,
                      "$comment": "MAX_BLOCKS"},
            "expect": {"$ref": "#/$defs/Expect"},
        },
        "required": ["machine", "steps"],
        "additionalProperties": False,
        "not": {"required": ["preset", "config"]},
        "$defs": out_defs,
    }


@lru_cache(maxsize=None)
def _validator(machine_name: str, preset: str):
    import jsonschema

    from ..registry import build

    sch = scenario_schema(build(machine_name, preset))
    cls = jsonschema.validators.validator_for(sch)
    return cls(sch)


def _json_path(parts) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def validate(doc: Any, machine: Machine) -> None:
    """Raise :class:`SchemaViolation` (JSON path and rule) unless ``doc`` is a valid
    scenario of ``machine``."""
    import jsonschema

    v = _validator(machine.name, machine.preset)
    err = jsonschema.exceptions.best_match(v.iter_errors(doc))
    if err is None:
        return
    msg = " ".join(err.message.split())
    if err.validator in ("anyOf", "oneOf") and err.context and all(c.validator == "type" for c in err.context):
        kinds = []
        for c in err.context:
            for t in ([c.validator_value] if isinstance(c.validator_value, str) else c.validator_value):
                if t not in kinds:
                    kinds.append(t)
        msg = f"{err.instance!r} is not of type {' or '.join(kinds)}"
    if len(msg) > 200:
        msg = msg[:197] + "..."
    limit = err.schema.get("$comment") if isinstance(err.schema, dict) and err.validator.startswith("max") else None
    rule = f"{err.validator}, {limit}" if limit else err.validator
    raise SchemaViolation(_json_path(err.absolute_path), f"{msg} (schema rule: {rule})")


def all_scenario_schemas() -> dict[str, dict[str, Any]]:
    from ..registry import build, machine_names

    return {schema_file(n).name: scenario_schema(build(n, None)) for n in machine_names()}


def render(sch: dict[str, Any]) -> str:
    return json.dumps(sch, indent=1) + "\n"


def check_shipped() -> list[str]:
    bad = []
    for fname, sch in all_scenario_schemas().items():
        path = SCHEMA_DIR / fname
        if not path.is_file():
            bad.append(f"{fname}: missing")
        elif path.read_text() != render(sch):
            bad.append(f"{fname}: out of date")
    return bad


def write_shipped() -> list[Path]:
    from ..outputs import atomic_write

    out = []
    for fname, sch in all_scenario_schemas().items():
        atomic_write(SCHEMA_DIR / fname, render(sch))
        out.append(SCHEMA_DIR / fname)
    return out


if __name__ == "__main__":  # pragma: no cover
    for p in write_shipped():
        print(p)
