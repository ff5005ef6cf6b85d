"""``paraspec repl MACHINE``: step a machine by hand.

Example: paraspec repl availability --preset tiny

Shows the state and the actions offered in it (each enabled, or the rule that
rejects it), takes and undoes actions, asks queries, and saves the session as a
scenario file that paraspec run replays. Commands are read from stdin, one a line
(type help); a script can be piped in.
"""

from __future__ import annotations

import argparse
import sys

from ..registry import build
from ._args import nonneg_int, parse_sets

__all__ = ["register"]


def register(sub) -> argparse.ArgumentParser:
    doc = __doc__.split("\n\n")
    p = sub.add_parser("repl", help="step a machine interactively (state, enabled actions, take/undo, save)",
                       description=doc[0].replace("``", "") + "\n\n" + doc[1] + "\n\n" + " ".join(doc[2].split()),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("machine", metavar="MACHINE", help="a machine (paraspec list shows them)")
    p.add_argument("--preset", help="one of the machine's presets (default: its default preset)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE",
                   help="override a parameter of the preset (repeatable)")
    p.add_argument("--init", type=nonneg_int, default=0, metavar="K",
                   help="start from the machine's K-th initial state (default 0)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..interp.repl import run_repl

    machine = build(args.machine, args.preset, None, parse_sets(args.overrides))
    return run_repl(machine, sys.stdin, sys.stdout, sys.stdin.isatty(), args.init)
