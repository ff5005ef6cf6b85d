"""``paraspec run [FILE...]``: replay scenarios through the interpreter.

Example: paraspec run checker/scenarios/availability_tiny.json --trace out.itf.json

Two kinds of file are accepted, told apart by their keys:

* a *runtime scenario* (``blocks``: a genesis and relay-chain blocks, see
  ``docs/interpreter.md``) is replayed through the composed runtime, the reference
  interpreter (``checker.runtime_scenario``); given alone, its outcome is printed as
  JSON: each block's outcome (``ok``, or ``invalid`` with the rule that rejects it)
  and the final state;
* a *machine scenario* (``machine`` and ``steps``, any registered machine; schema
  ``checker/schemas/MACHINE.scenario.schema.json``) is run through its machine's step
  function (``checker.interp``), one summary line per file and one line per failed
  expectation (step, path, expected, actual); ``--trace FILE`` writes the run as ITF,
  ``--json`` every step's state and events.

With several files, or none (every bundled playbook and runtime scenario), each file
gets a summary line (``--json`` prints the runtime scenarios' JSON instead). Exit
status: 0 when every expectation is met, 1 when one is not, 2 on bad input (one line
naming the file and field).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from paraspec.checker.registry import UsageError

__all__ = ["register", "run", "main"]


_DESCRIPTION = """\
Run scenario files through the reference interpreter (the model's own step functions).

A machine scenario (keys machine and steps) may be written for any machine of
paraspec list: each step names an action class and its fields, or a query; expect
checks parts of the state by path (cores.0.para), @events and @result. A runtime
scenario (key blocks) describes relay-chain blocks for the composed runtime.
docs/interpreter.md describes both."""

_EPILOG = """\
example:
  paraspec run checker/scenarios/runtime_tiny.json --trace out.itf.json

exit status: 0 every expectation met, 1 one was not (one line each: step, path,
expected, actual), 2 bad input (one line naming the file, the JSON path and the rule)."""


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("run", help="replay runtime scenarios and machine scenarios through the interpreter",
                              description=_DESCRIPTION, epilog=_EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="scenario files (default: every bundled playbook and runtime scenario)")
    p.add_argument("--json", action="store_true",
                   help="print the outcome as JSON (a machine scenario: every step's state and events)")
    p.add_argument("--timing", action="store_true", help="add each block's interpretation time (ms)")
    p.add_argument("--no-state", action="store_true", help="omit the states from the JSON")
    p.add_argument("--states", action="store_true",
                   help="runtime scenarios: add the state after every block to the JSON")
    p.add_argument("--compact", action="store_true", help="one-line JSON")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing; only the exit code")
    p.add_argument("--trace", metavar="OUT.itf.json",
                   help="write the run of one machine scenario as an ITF trace (paraspec trace show/replay)")
    from ._args import add_reading

    add_reading(p)
    p.set_defaults(func=run)
    return p


def _read(path: str):
    from paraspec.checker.limits import InputError, read_json_file

    try:
        return read_json_file(path)
    except InputError as e:
        raise UsageError(str(e)) from None


class _ModelRaised(Exception):
    """The model raised on a scenario's (schema-valid) input: reported as a failure (exit 1)."""


def _run_runtime(path: str, doc: dict, args) -> dict:
    from paraspec.checker.runtime_scenario import ScenarioError, run_scenario

    try:
        return run_scenario(doc, timing=args.timing, every_state=args.states, reading=args.reading)
    except ScenarioError as e:
        raise UsageError(f"{path}: {e.field}: {e.reason}" if e.field else f"{path}: {e.reason}") from None
    except Exception as e:  # a bug of the model, or an input the schema admits and the model cannot take
        raise _ModelRaised(f"{path}: the model raised {type(e).__name__}: {' '.join(str(e).split())}") from None


def run(args: argparse.Namespace) -> int:
    from paraspec.checker import scenario as playbooks
    from paraspec.checker.runtime_scenario import is_runtime_scenario, scenario_files

    paths = [str(p) for p in args.files] or \
        [str(p) for p in playbooks.scenario_files()] + [str(p) for p in scenario_files()]
    docs = [(p, _read(p)) for p in paths]
    runtime = [(p, d) for p, d in docs if is_runtime_scenario(d)]
    if args.trace:
        from ._args import check_writable

        check_writable(args.trace, "--trace")
    if args.trace and (len(docs) != 1 or runtime):
        raise UsageError("--trace: give exactly one machine scenario (machine and steps); runtime block "
                         "scenarios are traced through a machine scenario of machine runtime")
    as_json = args.json or (len(docs) == 1 and len(runtime) == 1)
    ok = True
    printed = []
    for path, doc in docs:
        try:
            ok = _run_one(path, doc, args, as_json, len(docs), printed) and ok
        except _ModelRaised as e:
            print(f"FAILED: {e}", file=sys.stderr)
            ok = False
    if as_json and not args.quiet:
        out = printed[0] if len(printed) == 1 and len(docs) == 1 else printed
        print(json.dumps(out, indent=None if args.compact else 1))
    return 0 if ok else 1


def _run_one(path: str, doc, args, as_json: bool, n_docs: int, printed: list) -> bool:
    """Run one file; print its summary (or add its JSON to ``printed``); whether it met every expectation."""
    from paraspec.checker.runtime_scenario import is_runtime_scenario

    ok = True
    if is_runtime_scenario(doc):
        result = _run_runtime(path, doc, args)
        failed = [b for b in result["blocks"] if b.get("as_expected") is False]
        ok = ok and not failed
        if args.no_state:
            result.pop("final_state")
        if as_json:
            printed.append(result if n_docs == 1 else {"file": path, **result})
        elif not args.quiet:
            name = Path(path).stem
            print(f"{name}: {'ok' if not failed else 'FAILED'} ({len(result['blocks'])} blocks) - "
                  f"{doc.get('description', '').split(':')[0]}")
            for b in failed:
                got = b["outcome"] if b["outcome"] == "ok" else b["rule"]
                print(f"  block {b['block']} (number {b['number']}): expected {b['expected']}, got {got}")
    else:
        from paraspec.checker.interp.runfile import as_json as json_of, run_machine_file, summary, write_trace

        res = run_machine_file(path, doc, args.reading)
        ok = ok and res.ok
        if args.trace:
            write_trace(res, args.trace)
        if as_json:
            out = json_of(res, not args.no_state)
            printed.append(out)
        elif not args.quiet:
            print("\n".join(summary(res)))
    return ok


def main(argv: list[str] | None = None) -> int:
    """``python -m checker.commands.run FILE...`` (the same as ``paraspec run``)."""
    from paraspec.checker.cli import _Parser

    parser = _Parser(prog="paraspec")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    register(sub)
    try:
        args = parser.parse_args(["run", *(sys.argv[1:] if argv is None else argv)])
        return args.func(args)
    except UsageError as e:
        print(f"paraspec: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
