"""A machine's reachable state graph as a :class:`networkx.MultiDiGraph`, whole or projected onto named
fields of the state's view (the control states: a candidate's stage, a halt mode, an escalation phase),
and its renderings: DOT, GraphML (``paraspec graph``) and SVG (the state diagrams of the docs).

A projection maps every reachable state to the values of the chosen fields (``mode``, ``paras[0].stage``,
``upgrade.phase``); two states with the same values are one node, and an edge ``P -> Q`` labelled ``A``
says that some reachable state projecting to ``P`` goes to one projecting to ``Q`` by an action of kind
``A`` (self-loops are dropped from projections: they change no named field).
"""

from __future__ import annotations

import enum
import html
import math
import re
from typing import Any

import networkx as nx

from paraspec.model.core import action_name

from .explore import Exploration, Visitor, explore
from .registry import UsageError

__all__ = ["reachable_graph", "projected", "resolve_field", "to_dot", "to_svg", "FIELD_PATH"]

FIELD_PATH = re.compile(r"[A-Za-z_]\w*(\[\d+\]|\.[A-Za-z_]\w*)*")


def resolve_field(view: dict[str, Any], path: str) -> Any:
    """The value at ``path`` (``mode``, ``paras[0].stage``, ``upgrade.phase``) of a state's view; a
    component of ``None`` gives ``None``."""
    head, rest = re.match(r"([A-Za-z_]\w*)(.*)", path).groups()
    if head not in view:
        raise UsageError(f"--project {path}: no field {head!r} (the fields: {', '.join(view)})")
    v = view[head]
    for m in re.finditer(r"\[(\d+)\]|\.([A-Za-z_]\w*)", rest):
        if v is None:
            return None
        if m.group(1) is not None:
            try:
                v = v[int(m.group(1))]
            except (IndexError, TypeError, KeyError):
                raise UsageError(f"--project {path}: {m.group(0)} does not index {type(v).__name__}") from None
        else:
            if not hasattr(v, m.group(2)):
                raise UsageError(f"--project {path}: {type(v).__name__} has no field {m.group(2)!r}")
            v = getattr(v, m.group(2))
    return v


def label_of(v: Any) -> str:
    if isinstance(v, enum.Enum):
        return v.name
    if v is None:
        return "none"
    if hasattr(v, "__attrs_attrs__") or isinstance(v, (tuple, frozenset, dict)):
        return repr(v)
    return str(v)


class _GraphVisitor(Visitor):
    def __init__(self, machine, max_states: int | None, node_of):
        super().__init__(machine)
        self.g = nx.MultiDiGraph()
        self.max_states = max_states
        self.node_of = node_of
        self.nodes: list[Any] = []  # stored index -> node

    def on_state(self, i, parent, succ):
        node = self.node_of(succ[4])
        self.nodes.append(node)
        self.g.add_node(node)
        if parent < 0:
            self.g.nodes[node]["initial"] = True

    def on_edge(self, i, j, succ):
        a, b = self.nodes[i], self.nodes[j]
        kind = action_name(succ[1])
        if self.project and a == b:
            return
        if not self.g.has_edge(a, b, key=kind):
            self.g.add_edge(a, b, key=kind, action=kind)

    def stop_state(self, ex: Exploration):
        if self.max_states is not None and len(ex) >= self.max_states:
            return "max_states"
        return None


def _visitor(machine, fields: list[str] | None, max_states: int | None) -> _GraphVisitor:
    for f in fields or ():
        if not FIELD_PATH.fullmatch(f):
            raise UsageError(f"--project {f!r}: not a field path (like mode, paras[0].stage, upgrade.phase)")
    if fields:
        def node_of(s):
            view = machine.view(s)
            return " ".join(label_of(resolve_field(view, f)) for f in fields)
    else:
        from .fingerprint import fingerprint

        def node_of(s):
            return f"s{fingerprint(s):016x}"
    v = _GraphVisitor(machine, max_states, node_of)
    v.project = bool(fields)
    return v


def reachable_graph(machine, fields: list[str] | None = None, max_states: int | None = None) -> nx.MultiDiGraph:
    """The reachable graph of ``machine`` (explored breadth-first; at most ``max_states`` states), projected
    onto ``fields`` when given. Edges are keyed by action kind; graph attributes record what was drawn."""
    v = _visitor(machine, fields, max_states)
    ex = explore(v)
    g = v.g
    g.graph.update(machine=machine.name, preset=machine.preset, states=len(ex), complete=ex.stopped is None,
                   projection=",".join(fields or []) or "none",
                   parameters=", ".join(f"{k}={val}" for k, val in machine.parameter_values().items()))
    return g


projected = reachable_graph


def _dot_id(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(g: nx.MultiDiGraph) -> str:
    """DOT text (edges of the same two nodes merged, their action kinds listed)."""
    head = (f"{g.graph.get('machine')} @ {g.graph.get('preset')} projected on {g.graph.get('projection')} "
            f"({g.graph.get('states')} states{'' if g.graph.get('complete', True) else ', bounded'})")
    lines = ["digraph paraspec {", f"  label={_dot_id(head)};", "  labelloc=t;", "  node [shape=box, style=rounded];"]
    for n, data in g.nodes(data=True):
        extra = ", peripheries=2" if data.get("initial") else ""
        lines.append(f"  {_dot_id(str(n))} [label={_dot_id(str(n))}{extra}];")
    for (a, b), kinds in _merged(g).items():
        lines.append(f"  {_dot_id(str(a))} -> {_dot_id(str(b))} [label={_dot_id(', '.join(kinds))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _merged(g: nx.MultiDiGraph) -> dict[tuple, list[str]]:
    out: dict[tuple, list[str]] = {}
    for a, b, k in g.edges(keys=True):
        out.setdefault((a, b), []).append(str(k))
    return {e: sorted(ks) for e, ks in out.items()}


def _layout(g: nx.MultiDiGraph) -> dict:
    """Layers by shortest distance from the initial nodes (a left-to-right reading of the lifecycle)."""
    starts = [n for n, d in g.nodes(data=True) if d.get("initial")] or list(g.nodes)[:1]
    dist: dict = {}
    for s in starts:
        for n, d in nx.single_source_shortest_path_length(g, s).items():
            dist[n] = min(d, dist.get(n, d))
    layers: dict[int, list] = {}
    for n in g.nodes:
        layers.setdefault(dist.get(n, max(dist.values(), default=0) + 1), []).append(n)
    return {n: (layer, row) for layer, ns in sorted(layers.items()) for row, n in enumerate(sorted(ns, key=str))}


def to_svg(g: nx.MultiDiGraph, title: str = "") -> str:
    """An SVG state diagram, drawn here (no Graphviz): nodes in columns by distance from the initial
    state, edges as curves labelled with their action kinds, the initial state with a double border."""
    e = html.escape
    pos = _layout(g)
    colw, rowh, boxw, boxh = 230, 90, 170, 34
    ncols = max((c for c, _ in pos.values()), default=0) + 1
    nrows = max((r for _, r in pos.values()), default=0) + 1
    width, height = 40 + colw * ncols, 90 + rowh * nrows
    xy = {n: (30 + c * colw + boxw / 2, 70 + r * rowh + boxh / 2) for n, (c, r) in pos.items()}
    sub = (f"{g.graph.get('machine')} @ {g.graph.get('preset')}: {g.graph.get('parameters')}; projection "
           f"{g.graph.get('projection')} of {g.graph.get('states')} reachable states")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="3" orient="auto">'
           '<path d="M0,0 L7,3 L0,6 z" fill="#444"/></marker></defs>',
           f'<text x="10" y="18" font-size="14" font-weight="bold">{e(title)}</text>',
           f'<text x="10" y="36" fill="#555">{e(sub[:160])}</text>']
    merged = _merged(g)
    for (a, b), kinds in merged.items():
        (x1, y1), (x2, y2) = xy[a], xy[b]
        back = (b, a) in merged
        dx, dy = x2 - x1, y2 - y1
        d = math.hypot(dx, dy) or 1
        # leave and enter at the box borders; bend a little (more when the reverse edge exists)
        sx, sy = x1 + dx / d * boxw / 2 * 0.9, y1 + dy / d * boxh / 2 * 1.2
        ex_, ey = x2 - dx / d * boxw / 2 * 0.9, y2 - dy / d * boxh / 2 * 1.2
        bend = 30 if back else 12
        mx, my = (sx + ex_) / 2 - dy / d * bend, (sy + ey) / 2 + dx / d * bend
        text = ", ".join(kinds)
        text = text if len(text) <= 40 else text[:39] + "…"
        out.append(f'<path d="M{sx:.0f},{sy:.0f} Q{mx:.0f},{my:.0f} {ex_:.0f},{ey:.0f}" fill="none" '
                   f'stroke="#444" marker-end="url(#a)"/>'
                   f'<text x="{mx:.0f}" y="{my:.0f}" text-anchor="middle" fill="#036" font-size="9">{e(text)}</text>')
    for n, (x, y) in xy.items():
        init = g.nodes[n].get("initial")
        out.append(f'<rect x="{x - boxw / 2:.0f}" y="{y - boxh / 2:.0f}" width="{boxw}" height="{boxh}" rx="8" '
                   f'fill="{"#dfd" if init else "#eef"}" stroke="#335" stroke-width="{2 if init else 1}"/>'
                   f'<text x="{x:.0f}" y="{y + 4:.0f}" text-anchor="middle">{e(str(n)[:30])}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
