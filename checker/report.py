"""Reports of a check: the terminal table, JSON and JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterable

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .results import Result, Verdict

__all__ = ["print_table", "to_json", "write_json", "write_junit", "atomic_write"]

_STYLE = {
    Verdict.HOLDS: "green",
    Verdict.WITNESSED: "green",
    Verdict.VIOLATED: "bold red",
    Verdict.VACUOUS: "bold red",
    Verdict.UNWITNESSED: "bold red",
    Verdict.NOT_CHECKED: "yellow",
    Verdict.PROPERTY_ERROR: "bold red",
}


def verdict_text(result: Result, verdict: str) -> str:
    from .explain import bound_text, why

    if verdict == Verdict.HOLDS and not result.complete:
        if result.error is not None:  # the search stopped on an exception: nothing is known to hold
            return "not refuted before the error"
        return f"holds (bounded: {bound_text(result)})"
    if verdict in (Verdict.UNWITNESSED, Verdict.VACUOUS):
        return why(result, verdict)
    return verdict


def parameters_line(r: Result) -> str:
    """``machine [mutant] @ preset: field=value ...``: what was checked, in one line."""
    label = r.machine + (f" [mutant {r.mutant}]" if r.mutant else "")
    values = {k: v for k, v in r.parameters.items() if k != "preset"}
    text = ", ".join(f"{k}={v}" for k, v in values.items())
    return f"{label} @ {r.preset} ({r.engine}): {text or 'no parameters'}"


def print_table(results: Iterable[Result], console: Console | None = None) -> None:
    console = console or Console()
    results = list(results)
    table = Table(title="paraspec check", show_lines=False,
                  caption=escape("\n".join(parameters_line(r) for r in results)), caption_justify="left")
    for col in ("machine", "property", "kind", "rule IDs", "verdict", "states", "time"):
        table.add_column(col, justify="right" if col in ("states", "time") else "left")
    for r in results:
        label = escape(r.machine + (f" [mutant {r.mutant}]" if r.mutant else ""))
        for pr in r.properties:
            v = verdict_text(r, pr.verdict)
            table.add_row(label, pr.property.name, pr.property.kind.value, ", ".join(pr.property.rules),
                          f"[{_STYLE.get(pr.verdict, '')}]{v}[/]", f"{r.states:,}", f"{r.elapsed:.2f}s")
        if r.deadlock_trace is not None:
            table.add_row(label, "deadlock_free", "always", "-", "[bold red]violated[/]", f"{r.states:,}",
                          f"{r.elapsed:.2f}s")
        if r.error is not None and r.error.property is None:
            table.add_row(label, "(model error)", "-", "-", f"[bold red]{escape(r.error.message)}[/]", f"{r.states:,}",
                          f"{r.elapsed:.2f}s")
    console.print(table)


def result_to_dict(r: Result, trace_files: dict[str, str] | None = None) -> dict[str, Any]:
    trace_files = trace_files or {}
    return {
        "machine": r.machine,
        "preset": r.preset,
        "parameters": r.parameters,
        "mutant": r.mutant,
        "engine": r.engine,
        "ok": r.ok,
        "states": r.states,
        "transitions": r.transitions,
        "depth": r.depth,
        "complete": r.complete,
        "stopped": r.stopped,
        "elapsed_s": round(r.elapsed, 4),
        "rejections": r.rejections,
        "deadlocks": r.deadlocks,
        "error": None if r.error is None else {"message": r.error.message, "detail": r.error.detail,
                                               "property": r.error.property, "where": r.error.where},
        "properties": [
            {
                "name": pr.property.name,
                "kind": pr.property.kind.value,
                "rules": list(pr.property.rules),
                "verdict": pr.verdict,
                "witnessed": pr.witnessed,
                "trace_length": None if pr.trace is None else len(pr.trace),
                "trace_file": trace_files.get(pr.property.name),
                "doc": pr.property.doc,
            }
            for pr in r.properties
        ],
    }


def to_json(results: list[Result], trace_files: dict[tuple, dict[str, str]] | None = None) -> dict[str, Any]:
    trace_files = trace_files or {}
    return {
        "tool": "paraspec",
        "ok": all(r.ok for r in results),
        "results": [result_to_dict(r, trace_files.get((r.machine, r.mutant))) for r in results],
    }


def atomic_write(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file: never a half-written output (see
    ``checker/outputs.py`` for the rule on temporaries and symbolic links)."""
    from .outputs import atomic_write as _write

    _write(path, text)


def json_text(results: list[Result], trace_files=None) -> str:
    return json.dumps(to_json(results, trace_files), indent=2) + "\n"


def write_json(path: str | Path, results: list[Result], trace_files=None) -> None:
    atomic_write(path, json_text(results, trace_files))


def write_junit(path: str | Path, results: list[Result]) -> None:
    suites = ET.Element("testsuites", name="paraspec")
    for r in results:
        name = r.machine + (f"[mutant={r.mutant}]" if r.mutant else "") + f"@{r.preset}"
        failures = sum(1 for p in r.properties if not p.ok) + (1 if r.error else 0)
        suite = ET.SubElement(suites, "testsuite", name=name, tests=str(len(r.properties)),
                              failures=str(failures), time=f"{r.elapsed:.3f}")
        props = ET.SubElement(suite, "properties")
        for key, value in r.parameters.items():
            ET.SubElement(props, "property", name=f"param.{key}", value=json.dumps(value))
        ET.SubElement(props, "property", name="engine", value=r.engine)
        for pr in r.properties:
            case = ET.SubElement(suite, "testcase", classname=name, name=pr.property.name, time=f"{r.elapsed:.3f}")
            if not pr.ok:
                f = ET.SubElement(case, "failure", message=f"{pr.verdict}: {pr.property.doc}",
                                  type=pr.verdict)
                f.text = f"rules: {', '.join(pr.property.rules)}; trace length: " + (
                    str(len(pr.trace)) if pr.trace is not None else "-")
        if r.error is not None:
            case = ET.SubElement(suite, "testcase", classname=name, name="model_error")
            e = ET.SubElement(case, "error", message=r.error.message)
            e.text = r.error.detail
    ET.indent(suites)
    atomic_write(path, ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n")
