"""``paraspec run SCENARIO.json``: replay a scenario through the reference interpreter.

Prints one JSON document: each block's outcome (``ok``, or ``invalid`` with the rule
that rejects it) and the final state. Exit status: 0 when every block with an
``expect`` met it, 1 when one did not, 2 on bad input (one line on stderr naming the
file and field).
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["register", "run", "main"]


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("run", help="replay a scenario through the reference interpreter",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("scenario", help="scenario file (JSON; see docs/interpreter.md)")
    p.add_argument("--timing", action="store_true", help="add each block's interpretation time (ms)")
    p.add_argument("--no-state", action="store_true", help="omit the final state")
    p.add_argument("--compact", action="store_true", help="one-line JSON")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from checker.scenario import ScenarioError, load_scenario, run_scenario

    try:
        doc = load_scenario(args.scenario)
        result = run_scenario(doc, timing=args.timing, validate=False)
    except ScenarioError as e:
        field = e.field if e.field.startswith(args.scenario) else f"{args.scenario}: {e.field}" if e.field else ""
        print(f"paraspec run: {field + ': ' if field else ''}{e.reason}", file=sys.stderr)
        return 2
    if args.no_state:
        result.pop("final_state")
    print(json.dumps(result, indent=None if args.compact else 1, sort_keys=False))
    return 1 if any(b.get("as_expected") is False for b in result["blocks"]) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="paraspec")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["run", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
