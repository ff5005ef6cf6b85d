"""The JSON Schemas of the vector format and of the adapter protocol.

``checker/schemas/`` ships, for every handler of every machine, the schema of its
cases (``<machine>.<handler>.schema.json``: the envelope with the handler's typed
``pre_state``, ``input`` and ``post_state``), and the machine-independent schemas
``case.schema.json``, ``request.schema.json``, ``response.schema.json``. They are
derived from the model's types (:func:`checker.codec.schema`);
``paraspec vectors schemas`` rewrites them and the test-suite checks they are current.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from paraspec.model.core import Machine
from paraspec.model.handlers import Handler

from ..codec import SchemaDefs, schema
from .cases import FORMAT, VectorError, state_type  # noqa: F401 (VectorError re-exported)

__all__ = ["SCHEMA_DIR", "handler_schema", "envelope_schemas", "shipped_name", "all_schemas"]

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
RULE_PATTERN = "^[A-Z]{2,4}-[0-9]+$"


def shipped_name(qualified: str) -> str:
    return qualified.replace("/", ".") + ".schema.json"


_OUTPUT = {
    "description": "ok (the input is accepted; the value is the handler's result, null for a handler whose "
                   "only effect is the post-state) or err (the rule ID that rejects the input; the post-state "
                   "then equals the pre-state)",
    "oneOf": [
        {"type": "object", "properties": {"ok": {}}, "required": ["ok"], "additionalProperties": False},
        {"type": "object", "properties": {"err": {"type": "string", "pattern": RULE_PATTERN}},
         "required": ["err"], "additionalProperties": False},
    ],
}


def _envelope(machine: str | None, handler: str | None, pre: dict, inp: dict, defs: dict | None,
              title: str, description: str) -> dict[str, Any]:
    props: dict[str, Any] = {
        "format": {"const": FORMAT, "description": "the version of the vector format"},
        "id": {"type": "string", "description": "preset/machine/handler/name: the case's path without .json"},
        "machine": {"const": machine} if machine else {"type": "string"},
        "handler": {"const": f"{machine}/{handler}"} if machine else {"type": "string", "pattern": "^[a-z0-9_]+/[a-z0-9_]+$"},
        "preset": {"type": "string", "description": "the preset; the configuration is <preset>/<machine>/config.json"},
        "kind": {"enum": ["rule", "coverage", "effect", "mutant"],
                 "description": "rule: a named scenario for one rule; coverage: an action kind in a state shape; "
                                "effect: a change of a state field (or a non-null answer) no rule or coverage case of the "
                                "handler makes; mutant: the step that tells a wrong model apart"},
        "rule": {"type": "string", "pattern": RULE_PATTERN,
                 "description": "kind rule: the rule ID the scenario is about"},
        "polarity": {"enum": ["positive", "negative"],
                     "description": "kind rule: positive (the rule holds or applies) or negative (it rejects the "
                                    "input, or its condition is false)"},
        "shape": {"type": "string", "description": "kind coverage: the coverage class of the pre-state"},
        "field": {"type": "string",
                  "description": "kind effect: the generalized path (array indices written []) of the post-state "
                                 "field, or output.ok..., the case changes"},
        "mutant": {"type": "string", "description": "the mutant (wrong model) this case tells apart"},
        "kills": {"type": "array", "items": {"type": "string"},
                  "description": "kind mutant: the properties the mutant violates"},
        "config_overrides": {"type": "object",
                             "description": "configuration fields that differ from <preset>/<machine>/config.json"},
        "description": {"type": "string"},
        "rules": {"type": "array", "items": {"type": "string", "pattern": RULE_PATTERN}, "uniqueItems": True,
                  "description": "every rule ID the step exercises"},
        "pre_state": pre,
        "input": inp,
        "output": _OUTPUT,
        "post_state": pre,
    }
    out: dict[str, Any] = {
        "$schema": DRAFT,
        "title": title,
        "description": description,
        "type": "object",
        "properties": props,
        "required": ["format", "id", "machine", "handler", "preset", "kind", "description", "rules",
                     "pre_state", "input", "output", "post_state"],
        "additionalProperties": False,
    }
    if defs:
        out["$defs"] = dict(defs)
    return out


def handler_schema(machine: Machine, h: Handler) -> dict[str, Any]:
    defs = SchemaDefs()
    pre = schema(state_type(machine), defs)
    alts = []
    for cls in h.actions:
        alts.append({"type": "object",
                     "properties": {"action": {"const": cls.__name__}, "args": schema(cls, defs)},
                     "required": ["action", "args"], "additionalProperties": False})
    inp = alts[0] if len(alts) == 1 else {"oneOf": alts}
    return _envelope(machine.name, h.name, pre, inp, defs, f"paraspec vector case: {h.qualified}",
                     h.doc or f"a case of handler {h.qualified}")


def envelope_schemas() -> dict[str, dict[str, Any]]:
    case = _envelope(None, None, {}, {"type": "object", "properties": {"action": {"type": "string"},
                                                                        "args": {"type": "object"}},
                                       "required": ["action", "args"], "additionalProperties": False},
                     None, "paraspec vector case", "any case; the per-handler schemas type the states and input")
    request = {
        "$schema": DRAFT,
        "title": "paraspec adapter request",
        "description": "one line on the adapter's stdin",
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "the case id; echo it in the response"},
            "handler": {"type": "string", "pattern": "^[a-z0-9_]+/[a-z0-9_]+$"},
            "config": {"type": "object", "description": "the configuration (preset fields and overrides)"},
            "pre_state": {},
            "input": case["properties"]["input"],
        },
        "required": ["handler", "config", "pre_state", "input"],
        "additionalProperties": False,
    }
    from ..interp.adapter import query_request_schema

    handler_request = {k: v for k, v in request.items() if k not in ("$schema", "title", "description")}
    request = {"$schema": DRAFT, "title": "paraspec adapter request", "description": "one line on the adapter's stdin",
               "oneOf": [handler_request, query_request_schema()]}
    response = {
        "$schema": DRAFT,
        "title": "paraspec adapter response",
        "description": "one line on the adapter's stdout per request",
        "oneOf": [
            {"type": "object", "properties": {"id": {"type": "string"}, "output": _OUTPUT, "post_state": {}},
             "required": ["output", "post_state"], "additionalProperties": False},
            {"type": "object", "properties": {"id": {"type": "string"}, "error": {"type": "string"}},
             "required": ["error"], "additionalProperties": False,
             "description": "the adapter could not process the request (reported as a failure)"},
            {"type": "object", "properties": {"id": {"type": "string"}, "output": {
                "type": "object", "properties": {"ok": {}}, "required": ["ok"], "additionalProperties": False}},
             "required": ["output"], "additionalProperties": False,
             "description": "the answer to a query request"},
            {"type": "object", "properties": {"id": {"type": "string"}, "unsupported": {"type": "string"}},
             "required": ["unsupported"], "additionalProperties": False,
             "description": "the implementation does not implement this handler"},
        ],
    }
    from .configdoc import config_schema

    return {"case.schema.json": case, "request.schema.json": request, "response.schema.json": response,
            "config.schema.json": config_schema()}


def all_schemas(machines: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Every shipped schema by file name: the envelopes and one per handler of every
    machine (handlers found as in generation: declared, or derived from the actions a
    bounded exploration of the default preset offers)."""
    from paraspec.model.handlers import handlers_for

    from ..registry import build, load_all, machine_names
    from .cases import explored_action_classes

    load_all()
    out = dict(envelope_schemas())
    for name in machines or machine_names():
        m = build(name, None)
        for h in handlers_for(name, explored_action_classes(m)):
            out[shipped_name(h.qualified)] = handler_schema(m, h)
    return out


def check_shipped(machines: list[str] | None = None) -> list[str]:
    """Shipped schema files that are missing or out of date."""
    import json

    bad = []
    for fname, sch in all_schemas(machines).items():
        path = SCHEMA_DIR / fname
        if not path.is_file():
            bad.append(f"{fname}: missing")
            continue
        try:
            if json.loads(path.read_text()) != sch:
                bad.append(f"{fname}: out of date")
        except ValueError:
            bad.append(f"{fname}: not JSON")
    return bad


__all__ += ["check_shipped", "VectorError"]
