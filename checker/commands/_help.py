"""Descriptions and examples for the subcommands whose own files give none (``cli.build_parser`` adds them
after discovery), so that every ``paraspec X --help`` explains itself and shows an example. A command that sets
its own ``epilog`` keeps it."""

from __future__ import annotations

import argparse
import textwrap

#: command path (space-separated) -> (description or None to keep the command's, examples)
HELP: dict[str, tuple[str | None, str]] = {
    "adapter": (None, """example:
  paraspec vectors run vectors --adapter "paraspec adapter"     # the reference implementation answers
  echo '{"id":"q","query":"..."}' | paraspec adapter            # one JSON request per line"""),
    "check": (None, """examples:
  paraspec check availability                        # exhaustive BFS on preset tiny (about a second)
  paraspec check inclusion --preset trio --set max_candidates=1
  paraspec check --simulate --seed 1 --steps 50000   # every machine by seeded random walks
  paraspec check --mutant av_threshold_half --trace-dir out   # exit 1: the mutant is caught, trace in out/
  paraspec check --json r.json --junit r.xml         # reports for CI (exit 0 only if everything holds)"""),
    "prove": (None, """examples:
  paraspec prove                                     # every lemma and machine (a few minutes)
  paraspec prove availability --depth 2              # one machine
  paraspec prove --mutant av_threshold_half          # bounded model checking must catch the mutant (exit 1)"""),
    "run": ("Replay scenarios (the bundled playbooks, or scenario files) through the reference interpreter and "
            "print each step's outcome and state.", """examples:
  paraspec run                                       # every bundled scenario
  paraspec run checker/scenarios/halts_A.json --json # one scenario, machine-readable"""),
    "vectors": ("Conformance test vectors: generate the suite from the model, replay it through an "
                "implementation's adapter, or write the JSON Schemas of the vector format.", """examples:
  paraspec vectors generate --out v --machine rescue   # a few seconds for one small machine
  paraspec vectors run v --adapter "paraspec adapter"  # replay through an adapter (exit 1 on a mismatch)"""),
    "vectors generate": (None, """examples:
  paraspec vectors generate --out v                    # every machine (minutes; about 31,000 files)
  paraspec vectors generate --out v --machine configuration --preset tiny"""),
    "vectors run": (None, """examples:
  paraspec vectors run v --adapter "paraspec adapter" --quiet
  paraspec vectors run v --adapter "node examples/adapters/node/adapter.js" --junit v.xml"""),
    "repl": (None, """examples:
  paraspec repl availability                           # state, enabled actions, take N, undo, save FILE, quit
  printf 'actions\\ntake 0\\nsave s.json\\nquit\\n' | paraspec repl halts   # scripted, from stdin"""),
    "vectors mapping": ("Write the table from vector fields and rejection rules to polkadot-sdk's storage items, "
                        "runtime API and error names (docs/vectors-mapping.md), or check that it is current.",
                        """examples:
  paraspec vectors mapping --check                     # exit 1 when docs/vectors-mapping.md is stale
  paraspec vectors mapping --out mapping.md"""),
    "vectors schemas": ("Write the JSON Schemas of the vector format (a case, each handler's input, the adapter "
                        "protocol's request and response), or check that the shipped ones are current.",
                        """examples:
  paraspec vectors schemas --check                     # exit 1 when a shipped schema is stale
  paraspec vectors schemas --out schemas/"""),
}


def _subparsers(p: argparse.ArgumentParser):
    for a in p._actions:
        if isinstance(a, argparse._SubParsersAction):
            yield from a.choices.items()


def explain(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """Give every subparser of ``parser`` a description and an example (see :data:`HELP`)."""
    for name, sp in _subparsers(parser):
        path = f"{prefix} {name}".strip()
        desc, example = HELP.get(path, (None, None))
        if sp.description is None and desc is not None:
            sp.description = desc
        if sp.epilog is None and example is not None:
            sp.epilog = example
            if sp.formatter_class is argparse.HelpFormatter:  # the example keeps its lines; the text is wrapped
                sp.formatter_class = argparse.RawDescriptionHelpFormatter
                sp.description = "\n\n".join(textwrap.fill(" ".join(par.split()), 78)
                                               for par in (sp.description or "").split("\n\n"))
        explain(sp, path)


def missing(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    """The subcommands still without a description or an example (for the tests)."""
    out = []
    for name, sp in _subparsers(parser):
        path = f"{prefix} {name}".strip()
        if not sp.description or not sp.epilog or "example" not in sp.epilog:
            out.append(path)
        out += missing(sp, path)
    return out
