"""Reading a vector suite from disk: cases, their requests and expected answers."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any, Iterable

import attrs

from ..limits import InputError, read_json_file
from .cases import FORMAT, VectorError

__all__ = ["Case", "load_suite", "CASE_KEYS", "request_of", "expected_of"]

CASE_KEYS = ("format", "id", "machine", "handler", "preset", "kind", "description", "rules",
             "pre_state", "input", "output", "post_state")


@attrs.frozen
class Case:
    #: path relative to the suite root, with forward slashes
    path: str
    data: dict = attrs.field(repr=False)
    config: dict = attrs.field(repr=False)

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def handler(self) -> str:
        return self.data["handler"]

    @property
    def machine(self) -> str:
        return self.data["machine"]

    def request(self) -> dict[str, Any]:
        return request_of(self.data, self.config)

    def expected(self) -> dict[str, Any]:
        return expected_of(self.data)


def request_of(case: dict, config: dict) -> dict[str, Any]:
    cfg = dict(config)
    cfg.update(case.get("config_overrides", {}))
    return {"id": case["id"], "handler": case["handler"], "config": cfg,
            "pre_state": case["pre_state"], "input": case["input"]}


def expected_of(case: dict) -> dict[str, Any]:
    return {"output": case["output"], "post_state": case["post_state"]}


def _read_json(path: Path, rel: str) -> Any:
    try:
        return read_json_file(path, rel)
    except InputError as e:
        raise VectorError(str(e)) from None


_VALIDATOR = None


def _case_validator():
    """The JSON Schema validator of a case (``checker/schemas/case.schema.json``)."""
    global _VALIDATOR
    if _VALIDATOR is None:
        import jsonschema

        from .schemas import SCHEMA_DIR

        schema = json.loads((SCHEMA_DIR / "case.schema.json").read_text(encoding="utf-8"))
        _VALIDATOR = jsonschema.Draft202012Validator(schema)
    return _VALIDATOR


def _schema_error(obj: Any, rel: str) -> None:
    """Raise VectorError naming the first field of ``obj`` that breaks the case schema."""
    import jsonschema

    err = jsonschema.exceptions.best_match(_case_validator().iter_errors(obj))
    if err is None:
        return
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path).lstrip(".")
    msg = " ".join(err.message.split())
    if len(msg) > 160:
        msg = msg[:157] + "..."
    raise VectorError(f"{rel}: field {where or '(top level)'}: {msg}")


def _check_case(obj: Any, rel: str, parts: list[str]) -> dict:
    if not isinstance(obj, dict):
        raise VectorError(f"{rel}: a case is a JSON object")
    for k in CASE_KEYS:
        if k not in obj:
            raise VectorError(f"{rel}: field {k!r} is missing")
    if obj["format"] != FORMAT:
        raise VectorError(f"{rel}: field 'format' is {obj['format']!r}, this paraspec reads {FORMAT!r}")
    _schema_error(obj, rel)
    preset, machine, handler, _ = parts
    if obj["handler"] != f"{machine}/{handler}" or obj["machine"] != machine or obj["preset"] != preset:
        raise VectorError(f"{rel}: fields 'preset'/'machine'/'handler' do not match the case's directory")
    if obj["id"] != rel[: -len(".json")]:
        raise VectorError(f"{rel}: field 'id' must be the case's path without '.json' "
                          f"({rel[: -len('.json')]!r})")
    out = obj["output"]
    if not (isinstance(out, dict) and len(out) == 1 and ("ok" in out or isinstance(out.get("err"), str))):
        raise VectorError(f"{rel}: field 'output' must be {{\"ok\": ...}} or {{\"err\": \"RULE-ID\"}}")
    if "err" in out and obj["post_state"] != obj["pre_state"]:
        raise VectorError(f"{rel}: field 'post_state' differs from 'pre_state' although the output is an error")
    ov = obj.get("config_overrides", {})
    if not isinstance(ov, dict):
        raise VectorError(f"{rel}: field 'config_overrides' must be an object")
    return obj


def load_suite(root: str | Path, machines: Iterable[str] = (), handlers: Iterable[str] = (),
               presets: Iterable[str] = ()) -> list[Case]:
    """Every case under ``root`` (sorted by path), optionally filtered by machine name,
    handler glob (``inclusion/*``) and preset; a malformed file raises VectorError."""
    from ..outputs import dir_problem

    root = Path(root)
    problem = dir_problem(root)
    if problem is not None:
        raise VectorError(f"{root}: {'not a directory' if problem == 'no such directory' else problem}")
    machines = set(machines)
    handlers = list(handlers)
    presets = set(presets)
    cases: list[Case] = []
    configs: dict[str, dict] = {}
    for path in sorted(root.glob("*/*/*/*.json")):
        rel = path.relative_to(root).as_posix()
        parts = rel.split("/")
        if parts[0] == "schemas":
            continue
        preset, machine, handler = parts[0], parts[1], parts[2]
        if machines and machine not in machines:
            continue
        if presets and preset not in presets:
            continue
        if handlers and not any(fnmatch.fnmatchcase(f"{machine}/{handler}", g) for g in handlers):
            continue
        where = f"{preset}/{machine}/config.json"
        if where not in configs:
            cpath = root / where
            if not cpath.is_file():
                raise VectorError(f"{where}: missing (every machine directory has its configuration)")
            cfg = _read_json(cpath, where)
            if not isinstance(cfg, dict) or not isinstance(cfg.get("preset"), str):
                raise VectorError(f"{where}: expected an object with the preset's name and the machine's parameters")
            configs[where] = cfg
        obj = _check_case(_read_json(path, rel), rel, parts)
        cases.append(Case(rel, obj, configs[where]))
    return cases
