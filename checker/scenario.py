"""Playbook files: load a scenario (JSON) and run it through its machine's interpreter.

A scenario file (``checker/scenarios/*.json``) is one object::

    {
      "name": "halts_A",
      "title": "State root divergence in commit N",
      "source": "[HALT], Specific Scenario Playbooks, Scenario A",
      "machine": "halts",
      "config": "seed",
      "steps": [
        {"action": "SubmitTx", "args": {"tx": 0}},
        {"action": "Round", "repeat": 3, "expect": {"height": 3}},
        {"action": "Resume", "args": {"signers": 7}, "rejected_by": "HLT-13",
         "note": "no resume before the recovery plan"}
      ],
      "expect": {"mode": "RUNNING"}
    }

``config`` names one of the machine class's own ``presets`` (``seed`` holds the seed's
numbers) or a host preset (``tiny``, ``polkadot``, ...). Action arguments give enum
members by name and masks as lists of ids. ``rejected_by`` makes a step pass only if
that rule rejects it; ``expect`` (per step, and at the end) compares fields of the
machine's ``describe(state)``.

Run: ``python -m checker.scenario FILE...`` (``paraspec run`` once the CLI loads
:func:`register`); exit 0 when every playbook ends as expected, 1 when one does not,
2 on a malformed file (one line naming the file and field).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import attrs

from paraspec.model.core import Machine
from paraspec.model.scenario import ScenarioError, ScenarioRun, Step, describe_state, run_scenario, steps_from

from .limits import MAX_BLOCKS, MAX_REPEAT, InputError, read_json_file
from .registry import UsageError, build, get_machine_class

__all__ = ["Scenario", "SCENARIO_DIR", "load", "scenario_files", "run_file", "register", "main"]

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"


@attrs.frozen
class Scenario:
    name: str
    title: str
    source: str
    machine: Machine
    steps: tuple[Step, ...]
    expect: dict[str, Any]
    path: str = ""

    def run(self) -> ScenarioRun:
        return run_scenario(self.machine, self.steps, expect=self.expect)


def _machine(name: Any, config: Any, where: str, reading: str | None = None) -> Machine:
    if not isinstance(name, str):
        raise ScenarioError(f"{where}.machine", f"expected a machine name, got {name!r}")
    try:
        cls = get_machine_class(name)
    except UsageError as e:
        raise ScenarioError(f"{where}.machine", str(e)) from None
    config = cls.default_preset if config is None else config
    if not isinstance(config, str):
        raise ScenarioError(f"{where}.config", f"expected a preset name, got {config!r}")
    try:
        return build(name, config, overrides={"reading": reading} if reading else None)
    except UsageError as e:
        raise ScenarioError(f"{where}.config", str(e)) from None


def load(path: str | Path, reading: str | None = None) -> Scenario:
    """Read and validate a scenario file; :class:`ScenarioError` names the bad field. ``reading``
    (``run --reading``) builds its machine under that reading (CFG-D5)."""
    path = Path(path)
    where = str(path)
    try:
        raw = read_json_file(path)
    except InputError as e:
        msg = str(e)
        raise ScenarioError(where, msg[len(where) + 2:] if msg.startswith(where + ": ") else msg) from None
    if not isinstance(raw, dict):
        raise ScenarioError(where, "expected a JSON object")
    extra = sorted(set(raw) - {"name", "title", "source", "machine", "config", "steps", "expect"})
    if extra:
        raise ScenarioError(f"{where}: {extra[0]}", "unknown key")
    for key in ("name", "machine", "steps"):
        if key not in raw:
            raise ScenarioError(f"{where}: {key}", "missing")
    machine = _machine(raw["machine"], raw.get("config"), where + ":", reading)
    classes = machine.action_classes
    if not classes:
        raise ScenarioError(f"{where}: machine", f"machine {raw['machine']!r} does not publish its action classes")
    _check_limits(raw["steps"], f"{where}: steps")
    steps = steps_from(classes, raw["steps"], f"{where}: steps")
    expect = raw.get("expect", {})
    if not isinstance(expect, dict):
        raise ScenarioError(f"{where}: expect", f"expected an object, got {expect!r}")
    fields = describe_state(machine, next(iter(machine.init())))
    for here, exp in [(f"steps[{i}].expect", st.expect) for i, st in enumerate(steps)] + [("expect", expect)]:
        for key in exp:
            if key not in fields:
                raise ScenarioError(f"{where}: {here}.{key}", f"no such field (fields: {', '.join(fields)})")
    return Scenario(str(raw["name"]), str(raw.get("title", "")), str(raw.get("source", "")), machine,
                    tuple(steps), dict(expect), where)


def _check_limits(steps: Any, where: str) -> None:
    """``repeat`` of each step and the steps applied in all (``docs/limits.md``)."""
    if not isinstance(steps, list):
        return  # steps_from says what is wrong
    total = 0
    for i, item in enumerate(steps):
        repeat = item.get("repeat", 1) if isinstance(item, dict) else 1
        if isinstance(repeat, int) and not isinstance(repeat, bool):
            if repeat > MAX_REPEAT:
                raise ScenarioError(f"{where}[{i}].repeat", f"more than {MAX_REPEAT} (MAX_REPEAT)")
            total += max(repeat, 0)
        if total > MAX_BLOCKS:
            raise ScenarioError(f"{where}[{i}].repeat", f"the playbook applies more than {MAX_BLOCKS} steps "
                                                        f"(MAX_BLOCKS)")


def scenario_files(prefix: str = "") -> list[Path]:
    """The bundled playbooks, by name."""
    return sorted(p for p in SCENARIO_DIR.glob(f"{prefix}*.json"))


def run_file(path: str | Path) -> tuple[Scenario, ScenarioRun]:
    sc = load(path)
    return sc, sc.run()


def _print(sc: Scenario, run: ScenarioRun, out) -> None:
    status = "ok" if run.ok else "FAILED"
    print(f"{sc.name}: {status} ({len(sc.steps)} steps) - {sc.title}", file=out)
    for f in run.failures:
        print(f"  {f}", file=out)


def _run(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.files] if args.files else scenario_files()
    if not paths:
        raise UsageError(f"no scenario files in {SCENARIO_DIR}")
    ok = True
    for p in paths:
        try:
            sc, run = run_file(p)
        except ScenarioError as e:
            raise UsageError(str(e)) from None
        except Exception as e:  # the model raised on a well-typed argument: a failure, one line
            print(f"{p}: FAILED: the model raised {type(e).__name__}: {' '.join(str(e).split())}", file=sys.stderr)
            ok = False
            continue
        if not args.quiet:
            _print(sc, run, sys.stdout)
        ok = ok and run.ok
    return 0 if ok else 1


def register(sub) -> None:
    """``paraspec run [FILE...]``: run playbooks (default: all bundled ones)."""
    p = sub.add_parser("run", help="run scenario playbooks through the interpreter",
                       description="Run scenario playbooks (JSON) through their machine's step function and "
                                   "check the expected rejections and end states.")
    p.add_argument("files", nargs="*", metavar="FILE", help=f"scenario files (default: all in {SCENARIO_DIR})")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing; only the exit code")
    p.set_defaults(func=_run)


def main(argv: list[str] | None = None) -> int:
    class _Parser(argparse.ArgumentParser):
        def error(self, message):
            raise UsageError(message)

    parser = _Parser(prog="python -m checker.scenario")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    register(sub)
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(["run"] + argv)
        return args.func(args)
    except UsageError as e:
        print(f"paraspec: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
