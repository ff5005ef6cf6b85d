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

Playbooks are machine scenarios: ``checker.interp`` validates (the machine's JSON
Schema) and runs them; this module keeps the playbook API (``load``, ``Scenario.run``).
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

from .limits import InputError, read_json_file
from .registry import UsageError

__all__ = ["Scenario", "ScenarioError", "ScenarioRun", "SCENARIO_DIR", "load", "scenario_files", "run_file",
           "register", "main"]


class ScenarioError(ValueError):
    """A malformed playbook (unreadable file, or a field its machine's schema refuses); ``where`` names the file."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@attrs.frozen
class ScenarioRun:
    """A playbook's run: the initial and final states and every failed check, one line each."""

    initial: Any
    final: Any
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failures

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"


@attrs.frozen
class Scenario:
    """A playbook: the interpreter's plan (``checker.interp.plan.Plan``) and its source."""

    plan: Any
    source: str = ""

    name = property(lambda self: self.plan.name)
    title = property(lambda self: self.plan.title)
    machine = property(lambda self: self.plan.machine)
    steps = property(lambda self: self.plan.steps)
    expect = property(lambda self: self.plan.expect)
    path = property(lambda self: self.plan.path)

    def run(self) -> ScenarioRun:
        """Run through the interpreter (``checker.interp``): the failures as one line each."""
        from .interp.engine import failure_lines, run_plan

        res = run_plan(self.plan)
        return ScenarioRun(res.initial, res.states[-1], tuple(failure_lines(res)))


def load(path: str | Path, reading: str | None = None) -> Scenario:
    """Read and validate a playbook (a machine scenario, ``checker.interp``);
    :class:`ScenarioError` names the file and the bad field. ``reading``
    (``run --reading``) builds its machine under that reading (CFG-D5)."""
    from .interp.plan import load_plan

    where = str(path)
    try:
        raw = read_json_file(path)
    except InputError as e:
        msg = str(e)
        raise ScenarioError(where, msg[len(where) + 2:] if msg.startswith(where + ": ") else msg) from None
    try:
        plan = load_plan(where, raw, reading)
    except UsageError as e:
        msg = str(e)
        raise ScenarioError(where, msg[len(where) + 2:] if msg.startswith(where + ": ") else msg) from None
    return Scenario(plan, str(raw.get("source", "")))


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
