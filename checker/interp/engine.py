"""Run a scenario plan through its machine: every step's state, events and checks.

The machine's ``step`` is the interpreter (no second copy of a rule): each action
step applies its action ``repeat`` times (a rejected application leaves the state as
it was and ends the step), each query step asks a query of the current state. Every
step records the state after it (as JSON), the events the last application emitted
(``Machine.answer``), and the differences between its ``expect`` and what happened.
:func:`to_itf` writes the accepted applications as an ITF trace that
``paraspec trace replay`` re-executes.
"""

from __future__ import annotations

from typing import Any

import attrs

from paraspec.model.core import Rejected, action_args

from ..codec import encode
from ..registry import UsageError
from ..trace import Trace
from .contract import events_json, queries, selectors, state_json
from .paths import diff
from .plan import Plan, PlanStep, decode_args

__all__ = ["StepRecord", "RunResult", "run_plan", "to_itf", "to_json", "failure_lines"]


@attrs.frozen
class StepRecord:
    index: int
    step: PlanStep
    #: the action (None for a query) and how many times it was applied with success
    action: Any
    applied: int
    rejection: Rejected | None
    events: Any
    result: Any
    #: the state after the step (the model's value; :meth:`state_json` is its JSON)
    after: Any
    #: ``{"path", "expected", "actual"}`` and outcome mismatches ``{"path": "@outcome", ...}``
    failures: tuple[dict[str, Any], ...]


@attrs.frozen
class RunResult:
    plan: Plan
    initial: Any
    records: tuple[StepRecord, ...]
    final_failures: tuple[dict[str, Any], ...]
    #: the trace: every state after an accepted application, with its action and events
    states: tuple[Any, ...]
    actions: tuple[Any, ...]
    events: tuple[Any, ...]
    #: the model raised (not a rejection): the message; the run stops there
    crash: str | None = None

    @property
    def ok(self) -> bool:
        return self.crash is None and not self.final_failures and not any(r.failures for r in self.records)


class ModelRaised(Exception):
    pass


def _selector(machine, state, where: str):
    sels = selectors(machine)

    def select(spec: dict) -> tuple[int, ...] | int:
        q = sels.get(spec["select"])
        if q is None:
            raise UsageError(f"{where}: selector {spec['select']!r}: machine {machine.name!r} has none "
                             f"(its selectors: {', '.join(sorted(sels)) or 'none'})")
        params = {k: v for k, v in spec.items() if k not in ("select", "k", "pick")}
        missing = [p for p in q.params if p not in params and p not in q.optional]
        unknown = [p for p in params if p not in q.params]
        if missing or unknown:
            raise UsageError(f"{where}: selector {q.name!r}: "
                             + (f"needs {missing[0]!r}" if missing else f"takes no {unknown[0]!r}")
                             + f" (its parameters: {', '.join(q.params) or 'none'})")
        got = tuple(q(machine, state, **params))
        if "pick" in spec:
            if spec["pick"] >= len(got):
                raise UsageError(f"{where}: selector {q.name!r}: pick {spec['pick']} of an answer of "
                                 f"{len(got)} validator(s) {list(got)}")
            return got[spec["pick"]]
        return got[:spec["k"]] if "k" in spec else got
    return select


def _outcome_failures(step: PlanStep, rejection: Rejected | None) -> list[dict[str, Any]]:
    want = step.rejected_by or "ok"
    got = "ok" if rejection is None else rejection.rule_id
    if want == got:
        return []
    return [{"path": "@outcome", "expected": "accepted" if want == "ok" else f"rejected by {want}",
             "actual": "accepted" if got == "ok" else f"rejected by {got} ({rejection.reason})"}]


def _apply(machine, state, step: PlanStep, trace: list, where: str):
    """Apply the step's action ``repeat`` times: (state, action, applied, rejection, events)."""
    action = None
    applied, rejection, events = 0, None, None
    for _ in range(step.repeat):
        action = decode_args(machine, step, _selector(machine, state, where), where)
        try:
            nxt = machine.step(state, action)
        except Rejected as r:
            rejection = r
            break
        except Exception as e:  # a bug of the model, or an input it cannot take
            raise ModelRaised(f"{where} ({step.action}): the model raised {type(e).__name__}: "
                              f"{' '.join(str(e).split())}") from None
        events = events_json(machine, state, action, nxt)
        state = nxt
        applied += 1
        trace.append((action, state, events))
    return state, action, applied, rejection, events


def _query(machine, state, step: PlanStep, where: str) -> Any:
    q = queries(machine)[step.query]
    try:
        return encode(q(machine, state, **step.args))
    except Exception as e:
        raise ModelRaised(f"{where} (query {step.query}): the model raised {type(e).__name__}: {e}") from None


def run_plan(plan: Plan) -> RunResult:
    m = plan.machine
    state = initial = plan.initial if plan.initial is not None else next(iter(m.init()))
    records: list[StepRecord] = []
    trace: list[tuple[Any, Any, Any]] = []
    crash = None
    for st in plan.steps:
        where = f"{plan.path}: $.steps[{st.index}]"
        action, applied, rejection, events, result = None, 0, None, None, None
        try:
            if st.query is not None:
                result = _query(m, state, st, where)
            else:
                state, action, applied, rejection, events = _apply(m, state, st, trace, where)
        except ModelRaised as e:
            crash = str(e)
            break
        fails = [] if st.query is not None else _outcome_failures(st, rejection)
        if st.expect:  # the state's JSON only when a step asserts on it
            fails += diff({**state_json(m, state), "@events": events, "@result": result}, st.expect)
        records.append(StepRecord(st.index, st, action, applied, rejection, events, result, state, tuple(fails)))
    final = () if crash else tuple(diff(state_json(m, state), plan.expect))
    return RunResult(plan, initial, tuple(records), final, (initial,) + tuple(s for _, s, _ in trace),
                     tuple(a for a, _, _ in trace), tuple(e for _, _, e in trace), crash)


def _value(v: Any) -> str:
    import json

    text = json.dumps(v, separators=(",", ":"))
    return text if len(text) <= 120 else text[:117] + "..."


def failure_lines(res: RunResult) -> list[str]:
    """One line per failed check: ``step N (Action): path: expected X, actual Y``."""
    out = []
    for r in res.records:
        what = r.step.action or f"query {r.step.query}"
        for f in r.failures:
            if f["path"] == "@outcome":
                out.append(f"step {r.index} ({what}): expected {f['expected']}, actual {f['actual']}")
            else:
                actual = "(absent)" if f.get("absent") else _value(f["actual"])
                out.append(f"step {r.index} ({what}): {f['path']}: expected {_value(f['expected'])}, "
                           f"actual {actual}")
    for f in res.final_failures:
        actual = "(absent)" if f.get("absent") else _value(f["actual"])
        out.append(f"final: {f['path']}: expected {_value(f['expected'])}, actual {actual}")
    if res.crash:
        out.append(res.crash)
    return out


def to_json(res: RunResult, with_state: bool = True) -> dict[str, Any]:
    """The run as JSON: the machine and its parameters, then every step's outcome,
    events, query answer, state and failed checks."""
    m = res.plan.machine
    steps = []
    for r in res.records:
        d: dict[str, Any] = {"step": r.index}
        if r.step.query is not None:
            d.update({"query": r.step.query, "args": r.step.args, "result": r.result})
        else:
            d.update({"action": r.step.action, "args": encode(action_args(r.action)) if r.action else r.step.args,
                      "applied": r.applied,
                      "outcome": "ok" if r.rejection is None else "rejected", "events": r.events})
            if r.rejection is not None:
                d.update({"rule": r.rejection.rule_id, "reason": r.rejection.reason})
        if r.step.note:
            d["note"] = r.step.note
        if with_state:
            d["state"] = state_json(m, r.after)
        d["failures"] = list(r.failures)
        steps.append(d)
    return {"file": res.plan.path, "machine": m.name, "preset": m.preset, "parameters": m.parameter_values(),
            "ok": res.ok, "initial_state": state_json(m, res.initial) if with_state else None,
            "steps": steps, "final_failures": list(res.final_failures),
            **({"crash": res.crash} if res.crash else {})}


def to_itf(res: RunResult) -> dict[str, Any]:
    """The ITF object of the run: one state per accepted application (state 0 the
    initial state), its action and parameters, and its events (``paraspec::events``);
    ``#meta.scenario`` names the file and lists the steps the protocol rejected (they
    leave the state unchanged, so they add no state)."""
    from .. import itf

    m = res.plan.machine
    tr = Trace.of(m, res.states, res.actions)
    obj = itf.to_itf(tr, m.view, res.plan.title or res.plan.name)
    obj["vars"].append("paraspec::events")
    for i, st in enumerate(obj["states"]):
        st["paraspec::events"] = itf.encode_value(None) if i == 0 else _itf_json(res.events[i - 1])
    rejected = [{"step": r.index, "action": r.step.action, "args": itf.encode_value(action_args(r.action)),
                 "rule": r.rejection.rule_id, "reason": r.rejection.reason}
                for r in res.records if r.rejection is not None]
    obj["#meta"]["scenario"] = {"file": res.plan.path, "steps": len(res.plan.steps), "rejected_steps": rejected,
                                "ok": res.ok}
    return obj


def _itf_json(v: Any) -> Any:
    """A JSON value (an event) as ITF: integers as ``#bigint``, lists as sequences."""
    if isinstance(v, bool) or isinstance(v, str):
        return v
    if isinstance(v, int):
        return {"#bigint": str(v)}
    if isinstance(v, list):
        return [_itf_json(x) for x in v]
    if isinstance(v, dict):
        return {k: _itf_json(x) for k, x in v.items()}
    return {"tag": "None", "value": {"#tup": []}}
