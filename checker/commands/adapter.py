"""``paraspec adapter [--mutant NAME]``: the reference interpreter over the adapter protocol.

Reads one JSON request per line on stdin and writes one JSON response per line on
stdout (``docs/vectors.md``), until end of input. With ``--mutant`` the mutant answers
for its machine (and the model for the others), so a suite's mutation adequacy can be
measured with ``paraspec vectors run DIR --adapter "paraspec adapter --mutant NAME"``.
"""

from __future__ import annotations

import sys

from ..registry import get_mutant, load_all


def register(sub) -> None:
    p = sub.add_parser("adapter", help="serve the reference interpreter (or a mutant) over the vector adapter "
                                       "protocol on stdin/stdout",
                       description="Serve the reference interpreter over the JSON-lines adapter protocol: one "
                                   "request per line on stdin, one response per line on stdout.")
    p.add_argument("--mutant", metavar="NAME", help="answer with this mutant (a deliberately wrong model)")
    from ._args import add_reading

    add_reading(p)  # a case of the other reading is answered `unsupported`
    p.set_defaults(func=run)


def run(args) -> int:
    load_all()
    if args.mutant:
        get_mutant(args.mutant)  # unknown: one line, exit 2
    from ..vectors.serve import serve

    return serve(sys.stdin, sys.stdout, args.mutant, args.reading)
