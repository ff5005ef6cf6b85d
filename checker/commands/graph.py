"""``paraspec graph MACHINE``: the reachable state graph (or its projection onto named fields) as DOT,
GraphML or SVG, built with networkx (``checker/stategraph.py``)."""

from __future__ import annotations

import argparse

from ..registry import UsageError, build
from . import _args

EXAMPLE = """examples:
  paraspec graph halts --project mode -o halts.dot            # the halt modes and the actions between them
  paraspec graph inclusion --project 'paras[0].stage' --format svg -o stages.svg
  paraspec graph rescue --format graphml -o rescue.graphml    # every reachable state (510 on preset tiny)"""


def register(sub) -> None:
    p = sub.add_parser("graph", help="write the reachable state graph (or a projection) as DOT, GraphML or SVG",
                       description="Explore MACHINE breadth-first on a preset and write its reachable state graph. "
                                   "With --project, states are merged by the values of the named fields of their "
                                   "view (a control-state diagram: a node per value, an edge per action kind that "
                                   "changes it). Prints the node and edge counts; about a second for presets of "
                                   "a few thousand states.",
                       epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("machine", metavar="MACHINE")
    _args.add_preset(p)
    p.add_argument("--project", metavar="F1,F2", help="fields of the state's view to project onto "
                                                      "(paths like mode, paras[0].stage, upgrade.phase)")
    p.add_argument("--format", choices=("dot", "graphml", "svg"), default="dot", help="output format (default dot)")
    p.add_argument("--max-states", type=_args.positive_int, default=200_000, metavar="N",
                   help="explore at most N states (default 200000; the graph is then marked bounded)")
    p.add_argument("-o", "--out", metavar="FILE", required=True, help="the file to write")
    p.set_defaults(func=run)


def run(args) -> int:
    import io

    import networkx as nx

    from ..outputs import atomic_write
    from ..stategraph import reachable_graph, to_dot, to_svg

    _args.check_writable(args.out, "--out")
    if args.preset is not None:
        _args.check_preset(args.preset, [args.machine])
    machine = build(args.machine, args.preset, None, _args.parse_sets(args.set))
    fields = [f.strip() for f in args.project.split(",")] if args.project else None
    if fields is not None and not all(fields):
        raise UsageError(f"--project {args.project!r}: an empty field name")
    g = reachable_graph(machine, fields, args.max_states)
    if args.format == "dot":
        text = to_dot(g)
    elif args.format == "svg":
        text = to_svg(g, f"{machine.name}: {g.graph['projection']}")
    else:
        simple = nx.DiGraph()
        simple.graph.update({k: str(v) for k, v in g.graph.items()})
        for n, d in g.nodes(data=True):
            simple.add_node(n, **{k: str(v) for k, v in d.items()})
        for a, b, k in g.edges(keys=True):
            kinds = simple.edges[a, b]["actions"] + "," + k if simple.has_edge(a, b) else k
            simple.add_edge(a, b, actions=kinds)
        buf = io.BytesIO()
        nx.write_graphml(simple, buf)
        text = buf.getvalue().decode()
    atomic_write(args.out, text)
    print(f"{machine.name} @ {machine.preset}: {g.graph['states']:,} states "
          f"{'' if g.graph['complete'] else '(bounded by --max-states) '}-> {g.number_of_nodes()} nodes, "
          f"{g.number_of_edges()} edges ({args.format}) in {args.out}")
    return 0
