"""A trace as a timeline: the steps of an ITF trace with what each one changed, rendered as text
(pytest failure messages), as a self-contained HTML page (``paraspec trace show --html``) or as a
sequence diagram in SVG (the docs).

Works on :class:`checker.itf.ItfTrace` (decoded values), so it renders paraspec's traces and those of
Quint or Apalache alike; a :class:`checker.trace.Trace` is turned into one by :func:`of_trace`.
"""

from __future__ import annotations

import html as _html
from typing import Any

import attrs

from . import itf

__all__ = ["Step", "fmt", "steps", "of_trace", "text", "html_page", "sequence_svg", "ACTION_VARS"]

ACTION_VARS = ("mbt::actionTaken", "mbt::nondetPicks", "action_taken", "nondet_picks")


def fmt(v: Any) -> str:
    """A decoded ITF value, readably: variants as ``Tag(value)``, sets in braces, booleans lower case."""
    if isinstance(v, dict):
        if set(v) == {"tag", "value"}:
            inner = fmt(v["value"])
            return v["tag"] if inner in ("()", "") else f"{v['tag']}({inner})"
        return "{" + ", ".join(f"{k}: {fmt(x)}" for k, x in v.items()) + "}"
    if isinstance(v, frozenset):
        return "{" + ", ".join(sorted(fmt(x) for x in v)) + "}"
    if isinstance(v, tuple):
        return "(" + ", ".join(fmt(x) for x in v) + ")"
    if isinstance(v, list):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


@attrs.frozen
class Step:
    """State ``index`` of a trace: the action that led to it (None for the initial state) and the
    variables that differ from the state before (every variable for the initial state)."""

    index: int
    action: str | None
    args: dict
    changes: tuple[tuple[str, str], ...]
    loop_start: bool = False

    @property
    def label(self) -> str:
        if self.action is None:
            return "init"
        return self.action + ("(" + ", ".join(f"{k}={fmt(v)}" for k, v in self.args.items()) + ")"
                              if self.args else "")


def _changes(prev: dict | None, st: dict, names: list[str], full: bool) -> list[tuple[str, str]]:
    out = []
    for var in names:
        val, old = st.get(var), None if prev is None else prev.get(var)
        if prev is not None and not full and old == val:
            continue
        if prev is not None and not full and isinstance(val, list) and isinstance(old, list) and len(val) == len(old):
            out += [(f"{var}[{j}]", fmt(b)) for j, (a, b) in enumerate(zip(old, val)) if a != b]
            continue
        out.append((var, fmt(val)))
    return out


def steps(tr: itf.ItfTrace, full: bool = False) -> list[Step]:
    """Every state of ``tr`` as a :class:`Step` (``full``: every variable, not only changes)."""
    names = [v for v in tr.vars if v not in ACTION_VARS]
    out, prev = [], None
    for i, st in enumerate(tr.states):
        action = st.get("mbt::actionTaken", st.get("action_taken"))
        picks = st.get("mbt::nondetPicks", st.get("nondet_picks"))
        action = None if action in (None, "init") and i == 0 else (None if action is None else fmt(action))
        out.append(Step(i, action, picks if isinstance(picks, dict) else {},
                        tuple(_changes(prev, st, names, full)), tr.loop == i))
        prev = st
    return out


def of_trace(trace, view=None, description: str = "") -> itf.ItfTrace:
    """The :class:`~checker.itf.ItfTrace` of a checker trace (as the ITF file would read back)."""
    return itf.parse(itf.to_itf(trace, view, description), f"{trace.machine} trace")


def rejection_line(tr: itf.ItfTrace) -> str | None:
    rej = tr.meta.get("rejected")
    if not isinstance(rej, dict):
        return None
    picks = rej.get("args") or {}
    args = "(" + ", ".join(f"{k}={fmt(itf.decode_value(v, f'$.#meta.rejected.args.{k}'))}"
                           for k, v in picks.items()) + ")"
    return f"then {rej.get('action')}{args} is rejected by {rej.get('rule')}: {rej.get('reason', '')}"


def text(tr: itf.ItfTrace, full: bool = False) -> str:
    """Plain text, one block per state: ``State i <- action(args)`` then the changed variables."""
    lines = []
    for s in steps(tr, full):
        loop = "  (loop starts here)" if s.loop_start else ""
        lines.append(f"State {s.index}" + ("" if s.action is None else f"  <- {s.label}") + loop)
        lines += [f"  {k} = {v}" for k, v in s.changes]
    rej = rejection_line(tr)
    if rej:
        lines.append(rej)
    return "\n".join(lines)


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
h1{font-size:1.3em}.meta{color:#555;font-size:.9em}ol.tl{list-style:none;padding-left:0;border-left:3px solid #4a7}
ol.tl li{margin:0 0 1em 0;padding-left:1.2em;position:relative}
ol.tl li:before{content:"";position:absolute;left:-.55em;top:.35em;width:.8em;height:.8em;border-radius:50%;
background:#4a7}ol.tl li.loop:before{background:#a4a}.act{font-weight:600;font-family:monospace}
table{border-collapse:collapse;font-family:monospace;font-size:.9em}td{padding:.1em .6em;vertical-align:top}
td.k{color:#246}.rej{color:#b00;font-weight:600}"""


def html_page(tr: itf.ItfTrace, title: str, full: bool = False) -> str:
    """A self-contained HTML page (no scripts, no external files): the trace as a vertical timeline."""
    e = _html.escape
    meta = "".join(f"<div>{e(k)}: {e(str(tr.meta[k]))}</div>"
                   for k in ("source", "machine", "preset", "mutant", "overrides", "parameters", "description")
                   if tr.meta.get(k))
    items = []
    for s in steps(tr, full):
        rows = "".join(f"<tr><td class=k>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in s.changes)
        loop = " (loop starts here)" if s.loop_start else ""
        items.append(f'<li id="state-{s.index}"{" class=loop" if s.loop_start else ""}>'
                     f'<div>State {s.index} <span class=act>{e(s.label)}</span>{e(loop)}</div>'
                     f"<table>{rows}</table></li>")
    rej = rejection_line(tr)
    tail = f"<p class=rej>{e(rej)}</p>" if rej else ""
    return (f"<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>{e(title)}</title>"
            f"<style>{_CSS}</style></head><body><h1>{e(title)}</h1><div class=meta>{meta}</div>"
            f"<ol class=tl>{''.join(items)}</ol>{tail}<p>{len(tr.states)} state(s)</p></body></html>\n")


def _lane(name: str) -> str:
    """The participant a variable belongs to: its name up to the first ``[`` or ``.``."""
    return name.split("[", 1)[0].split(".", 1)[0]


def sequence_svg(tr: itf.ItfTrace, title: str = "", max_text: int = 48) -> str:
    """A sequence diagram: one lifeline per state variable (the participants), one row per step; an
    arrow from the ``env`` lane (the environment choosing the action) to every variable the action
    changed, labelled with the action and the new value."""
    e = _html.escape
    all_steps = steps(tr)
    lanes = [v for v in tr.vars if v not in ACTION_VARS]
    lanes = ["env"] + [v for v in lanes if any(_lane(k) == v for s in all_steps[1:] for k, _ in s.changes)]
    col, top, row = 150, 60, 0
    rows = sum(max(1, len(s.changes)) for s in all_steps[1:]) + (1 if tr.meta.get("rejected") else 0)
    width, height = col * len(lanes) + 40, top + 28 * rows + 60
    x = {name: 20 + col * i + col // 2 for i, name in enumerate(lanes)}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           '<defs><marker id="arr" markerWidth="8" markerHeight="8" refX="7" refY="3" orient="auto">'
           '<path d="M0,0 L7,3 L0,6 z" fill="#333"/></marker></defs>',
           f'<text x="10" y="16" font-size="13" font-weight="bold">{e(title)}</text>']
    for name, cx in x.items():
        out.append(f'<rect x="{cx - 65}" y="26" width="130" height="20" fill="#eef" stroke="#557"/>'
                   f'<text x="{cx}" y="40" text-anchor="middle">{e(name)}</text>'
                   f'<line x1="{cx}" y1="46" x2="{cx}" y2="{height - 10}" stroke="#aaa" stroke-dasharray="4 3"/>')
    y = top
    for s in all_steps[1:]:
        label = s.label if len(s.label) <= max_text else s.label[: max_text - 1] + "…"
        for k, v in (s.changes or (("", ""),)):
            y += 28
            lane = _lane(k) if k else "env"
            target = x.get(lane, x["env"])
            value = f"{k} = {v}"
            value = value if len(value) <= max_text else value[: max_text - 1] + "…"
            if target != x["env"]:
                out.append(f'<line x1="{x["env"]}" y1="{y}" x2="{target - 4}" y2="{y}" stroke="#333" '
                           f'marker-end="url(#arr)"/>')
            if label:
                out.append(f'<text x="{x["env"] + 6}" y="{y - 4}" fill="#036">{e(f"{s.index}. {label}")}</text>')
            out.append(f'<text x="{target + 6}" y="{y + 12}" fill="#555">{e(value if k else "(no change)")}</text>')
            label = ""
    rej = rejection_line(tr)
    if rej:
        y += 28
        out.append(f'<text x="{x["env"] + 6}" y="{y}" fill="#b00">{e(rej[:120])}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
