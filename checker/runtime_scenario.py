"""The reference interpreter's entry point: replay a runtime scenario.

A *runtime scenario* (JSON, schema ``checker/schemas/scenario.schema.json``,
documented in ``docs/interpreter.md``; examples in ``checker/scenarios/runtime/``) is
a genesis and a list of relay-chain blocks. (The machine playbooks of
``checker.scenario`` are a different format: one machine, a list of actions.)
:func:`run_scenario` validates it, builds the genesis state, applies every block with
:meth:`model.runtime.RuntimeModel.apply_block` (the same functions the ``runtime``
machine explores) and returns each block's outcome and the final state, as plain
JSON values. An invalid block leaves the state as it was; the next block builds on
that state.

Bad input raises :class:`ScenarioError` with one line naming the field (and, for a
configuration, the rule).
"""

from __future__ import annotations

import json
import time
from importlib import resources
from typing import Any

import attrs

from paraspec.model.availability import SignBitfield
from paraspec.model.config import ConfigError, HostConfiguration, get_preset
from paraspec.model.readings import with_reading
from paraspec.model.core import Rejected
from paraspec.model.runtime.configuration import SetConfiguration
from paraspec.model.runtime.inclusion import BackedCandidate
from paraspec.model.runtime.paras import DeregisterPara, RegisterPara
from paraspec.model.runtime.runtime import InclusionInherent, RelayBlock, RuntimeModel, RuntimeState, SessionChange
from paraspec.model.runtime.scheduler import AddParathreadClaim

from .limits import MAX_BIT_INDEX, MAX_BLOCKS, MAX_REPEAT, MAX_SCENARIO_INT, MAX_VALIDATORS, InputError, read_json_file

__all__ = ["ScenarioError", "load_schema", "validate_scenario", "run_scenario", "state_to_json", "load_scenario",
           "is_runtime_scenario", "scenario_files", "SCENARIO_DIR"]

#: the bundled runtime scenarios
SCENARIO_DIR = "scenarios/runtime"


def scenario_files() -> list:
    """The bundled runtime scenarios (``checker/scenarios/runtime/*.json``), by name."""
    base = resources.files("paraspec.checker").joinpath(SCENARIO_DIR)
    return sorted((p for p in base.iterdir() if p.name.endswith(".json")), key=lambda p: p.name)


def is_runtime_scenario(doc) -> bool:
    """A runtime scenario has ``blocks``; a machine playbook has ``machine`` and ``steps``."""
    return isinstance(doc, dict) and "blocks" in doc and "machine" not in doc


class ScenarioError(ValueError):
    """A scenario that is not valid input: ``field`` is its JSON path."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


_SCHEMA: dict | None = None


def load_schema() -> dict:
    global _SCHEMA
    if _SCHEMA is None:
        text = resources.files("paraspec.checker").joinpath("schemas/scenario.schema.json").read_text()
        _SCHEMA = json.loads(text)
    return _SCHEMA


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def validate_scenario(doc: Any) -> None:
    """Check ``doc`` against the scenario schema; raise ScenarioError naming the field."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if not errors:
        return
    err = jsonschema.exceptions.best_match(errors)
    path = list(err.absolute_path)
    msg = err.message
    if err.validator in ("oneOf", "anyOf") and err.context:
        deepest = max(err.context, key=lambda e: len(e.absolute_path))
        path = list(deepest.absolute_path)
        msg = deepest.message
    if len(msg) > 200:
        msg = msg[:200] + "..."
    raise ScenarioError(_path(path), msg)


def _count(spec: Any) -> int:
    return spec if isinstance(spec, int) else len(spec)


def _check_validator_set(spec: Any, where: str) -> None:
    if _count(spec) > MAX_VALIDATORS:
        raise ScenarioError(where, f"more than {MAX_VALIDATORS} validators (MAX_VALIDATORS)")


def _check_bitfields(items: list, where: str) -> None:
    for j, bf in enumerate(items):
        at = f"{where}.bitfields[{j}]"
        bits = bf["bits"]
        if len(bits) > MAX_BIT_INDEX or (isinstance(bits, list) and any(b >= MAX_BIT_INDEX for b in bits)):
            raise ScenarioError(f"{at}.bits", f"more than {MAX_BIT_INDEX} bits, or a bit index at or above it "
                                           f"(MAX_BIT_INDEX)")
        if not 0 <= bf.get("length", 0) <= MAX_BIT_INDEX:
            raise ScenarioError(f"{at}.length", f"outside [0, {MAX_BIT_INDEX}] (MAX_BIT_INDEX)")
        vs = bf.get("validators")
        if isinstance(vs, dict) and max(vs["range"]) > MAX_VALIDATORS:
            raise ScenarioError(f"{at}.validators.range", f"beyond {MAX_VALIDATORS} (MAX_VALIDATORS)")


def _check_ints(doc: Any) -> None:
    """Every integer of the scenario within ±MAX_SCENARIO_INT (no path: the first one found)."""
    stack = [(doc, "")]
    while stack:
        v, where = stack.pop()
        if isinstance(v, dict):
            stack.extend((x, f"{where}.{k}" if where else k) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((x, f"{where}[{i}]") for i, x in enumerate(v))
        elif isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_SCENARIO_INT:
            raise ScenarioError(where, f"integer beyond ±{MAX_SCENARIO_INT} (MAX_SCENARIO_INT)")


def check_limits(doc: dict) -> None:
    """The size limits of ``checker.limits`` (``docs/limits.md``) on a schema-valid scenario."""
    _check_ints(doc)
    g = doc.get("genesis", {})
    if "validators" in g:
        _check_validator_set(g["validators"], "genesis.validators")
    total = 0
    for i, blk in enumerate(doc["blocks"]):
        where = f"blocks[{i}]"
        repeat = blk.get("repeat", 1)
        if repeat > MAX_REPEAT:
            raise ScenarioError(f"{where}.repeat", f"more than {MAX_REPEAT} (MAX_REPEAT)")
        total += max(repeat, 0)
        if total > MAX_BLOCKS:
            raise ScenarioError(f"{where}.repeat", f"the scenario applies more than {MAX_BLOCKS} blocks (MAX_BLOCKS)")
        sc = blk.get("session_change", {})
        for key in ("validators", "queued"):
            if key in sc:
                _check_validator_set(sc[key], f"{where}.session_change.{key}")
        inherents = blk.get("inherents", [blk])
        for k, inh in enumerate(inherents):
            _check_bitfields(inh.get("bitfields", []), where if "inherents" not in blk else f"{where}.inherents[{k}]")


def load_scenario(path: str) -> dict:
    """Read and validate a scenario file; ScenarioError names the file on failure."""
    try:
        doc = read_json_file(path)
    except InputError as e:
        raise ScenarioError("", str(e)) from None
    try:
        validate_scenario(doc)
        check_limits(doc)
    except ScenarioError as e:
        raise ScenarioError(f"{path}: {e.field}", e.reason) from None
    return doc


# -- building the model's inputs ---------------------------------------------------------------


def _validators(spec: int | list[int]) -> tuple[int, ...]:
    return tuple(range(spec)) if isinstance(spec, int) else tuple(spec)


def _genesis(model: RuntimeModel, doc: dict, reading: str | None = None) -> RuntimeState:
    preset_name = doc.get("preset", "tiny")
    try:
        config = get_preset(preset_name)
        if reading is not None:  # `run --reading`: the preset under that reading (CFG-D5)
            config = with_reading(config, reading).validate()
    except ConfigError as e:
        raise ScenarioError("preset", f"{e.reason} ({e.rule_id})") from None
    g = doc.get("genesis", {})
    try:
        if g.get("config"):
            config = config.with_overrides(g["config"])
    except ConfigError as e:
        raise ScenarioError(f"genesis.config.{e.field}", f"{e.reason} ({e.rule_id})") from None
    validators = _validators(g.get("validators", config.n_validators))
    if "paras" in g:
        paras = tuple((p["id"], p.get("parachain", True), p.get("head", 0), p.get("code", 100 + p["id"]))
                      for p in g["paras"])
    else:
        paras = tuple((i, True, 0, 100 + i) for i in range(config.n_parachains))
    n_chains = sum(1 for p in paras if p[1])
    config = attrs.evolve(config, n_validators=len(validators), n_parachains=max(n_chains, 1))
    try:
        return model.genesis_state(config, validators, paras, g.get("random_seed", 0))
    except Rejected as r:
        raise ScenarioError("genesis", f"{r.reason} ({r.rule_id})") from None


def _bitfields(items: list[dict], n_validators: int, n_cores: int, where: str) -> tuple[SignBitfield, ...]:
    out = []
    for i, bf in enumerate(items):
        bits_spec = bf["bits"]
        if isinstance(bits_spec, str):
            bits = sum(1 << j for j, ch in enumerate(bits_spec) if ch == "1")
            length = bf.get("length", len(bits_spec))
        else:
            bits = sum(1 << j for j in set(bits_spec))
            length = bf.get("length", n_cores)
        if "validator" in bf:
            who = [bf["validator"]]
        else:
            vs = bf["validators"]
            if vs == "all":
                who = list(range(n_validators))
            elif isinstance(vs, dict):
                a, b = vs["range"]
                if a > b:
                    raise ScenarioError(f"{where}.bitfields[{i}].validators.range", f"empty range [{a}, {b})")
                who = list(range(a, b))
            else:
                who = list(vs)
        for v in who:
            out.append(SignBitfield(v, bits, length, bf.get("signer", v)))
    return tuple(out)


def _resolve_backers(model: RuntimeModel, mid: RuntimeState | None, para: int) -> tuple[int, ...]:
    if mid is None:
        return ()
    a = next((a for a in mid.scheduler.scheduled if a.para == para), None)
    if a is None:
        return ()
    group = model.get_group_validators(mid.scheduler, a.group)
    return tuple(sorted(group or ()))


def _candidates(model: RuntimeModel, items: list[dict], mid: RuntimeState | None) -> tuple[BackedCandidate, ...]:
    out = []
    for c in items:
        backers = c["backers"]
        backers = _resolve_backers(model, mid, c["para"]) if backers == "group" else tuple(backers)
        signers = tuple(c["signers"]) if "signers" in c else None
        out.append(BackedCandidate(c["para"], c["head"], backers, signers, c.get("new_code")))
    return tuple(out)


def _calls(items: list[dict]) -> tuple[Any, ...]:
    out = []
    for c in items:
        kind = c["call"]
        if kind == "set_configuration":
            out.append(SetConfiguration(c["member"], c["value"], c.get("origin", "root")))
        elif kind == "register_para":
            out.append(RegisterPara(c["para"], c.get("parachain", True), c.get("head", 0),
                                    c.get("code", 100 + c["para"]), c.get("origin", "root")))
        elif kind == "deregister_para":
            out.append(DeregisterPara(c["para"], c.get("origin", "root")))
        else:
            out.append(AddParathreadClaim(c["para"], c.get("collator", 0)))
    return tuple(out)


def build_block(model: RuntimeModel, s: RuntimeState, blk: dict, where: str) -> RelayBlock:
    """The model's inputs for one scenario block applied to state ``s``.

    ``"backers": "group"`` is resolved against the block itself: the group assigned to
    the core scheduled for the para after the block's bitfields and timeouts (an
    unscheduled para gets no backers; the block is then invalid by INC-23).
    """
    sc = None
    after = False
    if "session_change" in blk:
        d = blk["session_change"]
        validators = _validators(d["validators"])
        sc = SessionChange(validators, _validators(d.get("queued", list(validators))), d.get("random_seed", 0))
        after = d.get("after_initialization", False)
    inherent_docs = blk.get("inherents")
    if inherent_docs is None:
        inherent_docs = [{"bitfields": blk.get("bitfields", []), "backed_candidates": blk.get("backed_candidates", [])}]
    try:
        pre = model.begin_block(s, RelayBlock(session_change=sc, session_change_after_init=after))
    except Rejected:
        pre = model.begin_block(s, RelayBlock())
    n_validators, n_cores = len(pre.validators), len(pre.scheduler.cores)
    inherents = []
    for k, inh in enumerate(inherent_docs):
        at = where if "inherents" not in blk else f"{where}.inherents[{k}]"
        bfs = _bitfields(inh.get("bitfields", []), n_validators, n_cores, at)
        mid = None
        needs_group = any(c.get("backers") == "group" for c in inh.get("backed_candidates", []))
        if needs_group:
            try:
                mid = model.process_inherent_availability(pre, bfs)
            except Rejected:
                mid = None
        inherents.append(InclusionInherent(bfs, _candidates(model, inh.get("backed_candidates", []), mid)))
    return RelayBlock(sc, after, tuple(inherents), _calls(blk.get("calls", [])))


# -- JSON rendering ------------------------------------------------------------------------------------------


_MAP_FIELDS = {"heads", "code", "past_code_meta", "future_code_upgrades", "future_code", "upcoming", "pending"}


def _jsonable(x: Any, field: str | None = None) -> Any:
    if isinstance(x, HostConfiguration):
        return {f.name: getattr(x, f.name) for f in attrs.fields(HostConfiguration)}
    if attrs.has(type(x)):
        return {f.name: _jsonable(getattr(x, f.name), f.name) for f in attrs.fields(type(x))}
    if isinstance(x, tuple):
        if field in _MAP_FIELDS:
            return {str(k): _jsonable(v) for k, v in x}
        if field == "past_code":
            return {f"{k[0]}@{k[1]}": v for k, v in x}
        return [_jsonable(v) for v in x]
    if hasattr(x, "name") and hasattr(x, "value") and isinstance(x, int):  # IntEnum
        return x.name
    return x


#: model-only fields (ghosts for the properties), left out of the rendered state
_GHOSTS = ("events", "notification")


def state_to_json(s: RuntimeState) -> dict:
    """The storage as JSON values: records as objects, maps keyed by para as objects
    (the model's ghost fields are left out)."""
    out = _jsonable(s)
    for g in _GHOSTS:
        out.pop(g, None)
    out["paras"].pop("replacements", None)
    # PendingConfigs: [session, configuration] pairs, as vectors have them (CFG-7)
    out["configuration"]["pending"] = [[at, _jsonable(c)] for at, c in s.configuration.pending]
    # votes and bitmasks read better as lists of validator indices
    for cpa in out["inclusion"]["pending"].values():
        v = cpa["votes"]
        cpa["votes"] = [i for i in range(v.bit_length()) if (v >> i) & 1]
    return out


# -- running --------------------------------------------------------------------------------------------------


def run_scenario(doc: dict, timing: bool = False, validate: bool = True, every_state: bool = False,
                 reading: str | None = None) -> dict:
    """Replay a scenario. Returns ``{"blocks": [outcome, ...], "final_state": {...}}``.

    Each outcome names the scenario block (``block``, and ``repeat`` index), the relay
    block number it would have (``number``), ``outcome`` ``"ok"`` or ``"invalid"``
    with the ``rule`` and ``reason``, the module ``events`` of a valid block, and,
    when the block states one, whether the ``expect``-ation was met; with
    ``every_state``, the ``state`` after the block (an invalid block: the unchanged one).
    """
    if validate:
        validate_scenario(doc)
        check_limits(doc)
    model = RuntimeModel()
    s = _genesis(model, doc, reading)
    outcomes = []
    for i, blk in enumerate(doc["blocks"]):
        for r in range(blk.get("repeat", 1)):
            where = f"blocks[{i}]"
            b = build_block(model, s, blk, where)
            out: dict[str, Any] = {"block": i}
            if blk.get("repeat", 1) > 1:
                out["repeat"] = r
            out["number"] = s.now + 1
            t0 = time.perf_counter()
            try:
                t = model.apply_block(s, b)
            except Rejected as e:
                out.update(outcome="invalid", rule=e.rule_id, reason=e.reason)
                t = None
            elapsed = time.perf_counter() - t0
            if t is not None:
                out["outcome"] = "ok"
                out["events"] = [e for e in t.events if not e.startswith(("initialize:", "finalize:"))]
                s = t
            if "expect" in blk:
                got = "ok" if t is not None else out["rule"]
                out["expected"] = blk["expect"]
                out["as_expected"] = got == blk["expect"]
            if timing:
                out["elapsed_ms"] = round(elapsed * 1000, 3)
            if every_state:
                out["state"] = state_to_json(s)
            outcomes.append(out)
    return {"reading": s.configuration.current.reading, "blocks": outcomes, "final_state": state_to_json(s)}
