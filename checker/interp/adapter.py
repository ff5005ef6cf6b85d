"""Runtime-API queries as adapter-protocol requests.

A query request asks a machine's query (``paraspec.model.queries``) of a state, the
way a node asks an implementation's runtime API::

    {"id": "q1", "query": "runtime/availability_cores", "config": {...}, "state": {...}, "args": {}}

``config`` is a configuration as vectors record it, ``state`` the machine's state in
the vectors' typed JSON, ``args`` the query's integer parameters. The answer is
``{"id": "q1", "output": {"ok": ANSWER}}`` (the answer in the same typed JSON), or
``{"error": ...}`` for a bad request. ``paraspec adapter`` (the reference) answers them;
an implementation's adapter answers them from its runtime API.
"""

from __future__ import annotations

from typing import Any, Callable

from paraspec.model.queries import queries_for

from ..codec import encode

__all__ = ["QUERY_KEYS", "answer_query", "query_request_schema"]

QUERY_KEYS = ("query", "config", "state")


def answer_query(req: dict[str, Any], machine: Callable[[str, Any], Any]) -> dict[str, Any]:
    """``{"output": {"ok": answer}}`` for a query request; raises ``VectorError`` on a bad one."""
    from ..vectors.cases import VectorError, decode_state, split_handler

    missing = [k for k in QUERY_KEYS if k not in req]
    if missing:
        raise VectorError(f"request.{missing[0]}: missing")
    extra = sorted(set(req) - set(QUERY_KEYS) - {"id", "args"})
    if extra:
        raise VectorError(f"request.{extra[0]}: unknown key of a query request")
    machine_name, name = split_handler(req["query"], "request.query")
    m = machine(machine_name, req["config"])
    qs = queries_for(machine_name)
    if name not in qs:
        raise VectorError(f"request.query: machine {machine_name!r} has no query {name!r} "
                          f"(its queries: {', '.join(sorted(qs)) or 'none'})")
    q = qs[name]
    args = req.get("args") or {}
    if not isinstance(args, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in args.values()):
        raise VectorError("request.args: expected an object of integers")
    bad = [k for k in args if k not in q.params] + [p for p in q.params if p not in args and p not in q.optional]
    if bad:
        raise VectorError(f"request.args.{bad[0]}: query {name!r} takes {', '.join(q.params) or 'no parameters'}")
    state = decode_state(m, req["state"], "request.state")
    return {"output": {"ok": encode(q(m, state, **args))}}


def query_request_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "a runtime-API query of a state (docs/interpreter.md)",
        "properties": {
            "id": {"type": "string"},
            "query": {"type": "string", "pattern": "^[a-z0-9_]+/[a-z0-9_]+$"},
            "config": {"type": "object"},
            "state": {},
            "args": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
        "required": list(QUERY_KEYS),
        "additionalProperties": False,
    }
