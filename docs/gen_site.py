"""Pages of the site generated from the code at build time (``docs/conf.py`` calls :func:`generate`):

* ``_gen/traceability/<document>.md``: one section (and anchor, ``#AV-6``) per rule ID of that spec document:
  the spec text, the model functions that enforce it (``@implements``) with links to their source lines, the
  properties that check it, the mutants that break those properties, and the conformance-vector cases whose
  ``rules`` name it (from a vector suite on disk: ``$PARASPEC_DOCS_VECTORS``, else ``vectors/`` when
  ``make vectors`` made it; else ``docs/vector_rules.json``, the default suite's rule index kept in the
  repository);
* ``_gen/diagrams.md`` with SVG state diagrams of small machines' control states (projections of the reachable
  graph, ``checker/stategraph.py``) and a mutant's counterexample as a sequence diagram;
* ``_extra/src/...``: the model's source as HTML with line anchors (the targets of the source links).

Nothing here is hand-maintained: a rule added to ``spec/`` appears on the next build.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (title, machine, --set overrides, projection) of the state diagrams (each on its machine's default preset)
DIAGRAMS = [
    ("Candidate lifecycle (one para's pipeline)", "inclusion", {"max_candidates": "1"}, ["paras[0].stage"]),
    ("Halt modes", "halts", {}, ["mode"]),
    ("Escalation phases and outcomes", "escalation", {}, ["phase", "outcome"]),
    ("Upgrade stages (new-path upgrade phase)", "upgrades", {}, ["upgrade.phase"]),
    ("Rescue: authority and code of a para", "rescue", {}, ["paras[0].authority", "paras[0].code"]),
]
#: the mutant whose counterexample is drawn as a sequence diagram
SEQUENCE_MUTANT = "hlt_resume_drops_evidence"


def _model_functions() -> dict[str, list[tuple[str, str, int]]]:
    """rule ID -> [(qualified name, repository path, line)] of the model functions declaring it (the table the
    vector tracer uses, ``checker.vectors.tracing.rule_functions``)."""
    from paraspec.checker.registry import load_all
    from paraspec.checker.vectors.tracing import rule_functions

    load_all()
    out: dict[str, list[tuple[str, str, int]]] = {}
    for code, ids in sorted(rule_functions().items(), key=lambda kv: (kv[0].co_filename, kv[0].co_firstlineno)):
        path = Path(code.co_filename).resolve()
        rel = path.relative_to(ROOT).as_posix()
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for rid in ids:
            out.setdefault(rid, []).append((f"{module}.{code.co_qualname}", rel, code.co_firstlineno))
    return out


#: the rule index of the default vector suite, committed so that a plain `make docs` fills the vector-case column
#: (generating the suite takes minutes); ``python docs/gen_site.py --vector-index SUITE`` refreshes it, and
#: ``tests/test_vectors.py`` checks it against the suite it generates from the current code
VECTOR_INDEX = Path(__file__).resolve().parent / "vector_rules.json"


def _rule_entries(rules: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rid, entry in rules.items():
        ids = list(entry.get("positive", [])) + list(entry.get("negative", []))
        extra = int(entry.get("cases", 0)) - len(ids)
        out[rid] = ids + ([f"{extra} more case(s) exercising it"] if extra > 0 else [])
    return out


def vector_index(index: dict) -> dict:
    """What ``VECTOR_INDEX`` keeps of a suite's ``index.json``: how it was generated and its rule index."""
    return {"generator": index["generator"], "presets": index["presets"], "machines": index["machines"],
            "options": index["options"], "cases": index["cases"], "rules": index["rules"]}


def _vector_cases() -> tuple[dict[str, list[str]], str]:
    """rule ID -> case ids, and a sentence saying where they came from: a suite on disk
    (``$PARASPEC_DOCS_VECTORS``, else ``vectors/`` when ``make vectors`` made it), else ``VECTOR_INDEX``."""
    root = Path(os.environ.get("PARASPEC_DOCS_VECTORS") or ROOT / "vectors")
    if not root.is_dir():
        try:
            kept = json.loads(VECTOR_INDEX.read_text())
            rules = kept["rules"]
        except (OSError, ValueError, KeyError, TypeError):
            return {}, (f"No vector suite was on disk when this page was built and `docs/{VECTOR_INDEX.name}` is "
                        "missing or unreadable, so the vector-case column is empty; every rule has a positive and "
                        "a negative case named `rule_<ID>_positive` and `rule_<ID>_negative`.")
        o = kept.get("options", {})
        return _rule_entries(rules), (
            f"Vector cases: from `docs/{VECTOR_INDEX.name}`, the rule index of the default suite "
            f"(`paraspec vectors generate --out vectors`: {kept.get('cases', 0):,} cases on presets "
            f"{', '.join(kept.get('presets', []))}, at most {o.get('max_states', '?'):,} states per exploration, "
            f"reading {o.get('reading', 'seed')}), kept in the repository so that this page needs no suite; "
            "`tests/test_vectors.py` checks it against the suite generated from the current code, and "
            f"`python docs/gen_site.py --vector-index vectors/` refreshes it. A suite in `vectors/` (or "
            "`$PARASPEC_DOCS_VECTORS`) when the site is built takes its place.")
    try:  # the suite's index.json: rule ID -> its positive and negative cases and how many cases exercise it
        index = json.loads((root / "index.json").read_text())
        rules = index["rules"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}, (f"The vector suite in `{root.name}/` has no readable `index.json`, so the vector-case column "
                    "is empty.")
    return _rule_entries(rules), (f"Vector cases: from the index of the suite in `{root.name}/` (its positive "
                                  "and negative case per rule).")


def _source_pages(paths: set[str], extra: Path) -> None:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    for rel in sorted(paths):
        dest = extra / "src" / (rel + ".html")
        dest.parent.mkdir(parents=True, exist_ok=True)
        fmt = HtmlFormatter(full=True, linenos="inline", lineanchors="L", anchorlinenos=True, title=rel,
                            linespans="line")
        dest.write_text(highlight((ROOT / rel).read_text(), PythonLexer(), fmt))


def _cell_list(items: list[str], limit: int = 12) -> str:
    if not items:
        return "none"
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _traceability(out: Path, extra: Path) -> list[str]:
    from paraspec.checker.spec import load_rules
    from paraspec.properties.core import MUTANTS, PROPERTIES

    rules = load_rules()
    funcs = _model_functions()
    cases, cases_note = _vector_cases()
    props: dict[str, list] = {}
    for ps in PROPERTIES.values():
        for p in ps.values():
            for rid in p.rules:
                props.setdefault(rid, []).append(p)
    killers: dict[tuple[str, str], list[str]] = {}
    for m in MUTANTS.values():
        for k in m.kills:
            killers.setdefault((m.machine, k), []).append(m.name)
    _source_pages({rel for fs in funcs.values() for _, rel, _ in fs}, extra)
    tdir = out / "traceability"
    tdir.mkdir(parents=True)
    docs: dict[str, list] = {}
    for r in rules.values():
        docs.setdefault(r.document, []).append(r)
    pages = []
    for doc, rs in sorted(docs.items()):
        stem = doc.removesuffix(".md")
        lines = [f"# Traceability: {stem}", "",
                 f"Every rule of [spec/{doc}](../../_spec/{stem}.md): its text, the model functions that enforce it, "
                 "the properties that check it, the mutants that break those properties and the vector cases "
                 f"that exercise it. {cases_note}", ""]
        for r in rs:
            lines += _rule_section(r, funcs.get(r.id, []), props.get(r.id, []), killers, cases.get(r.id, []), stem)
        (tdir / f"{stem}.md").write_text("\n".join(lines) + "\n")
        pages.append(stem)
    index = ["# Traceability", "",
             f"{len(rules)} rule IDs of `spec/` ({sum(1 for r in rules.values() if r.is_decision)} of them "
             "decisions), each with an anchor of its own: `traceability/<document>.html#<ID>`, e.g. "
             "[AV-6](availability.md#AV-6). Generated from the code at every build (`docs/gen_site.py`).", "",
             "```{toctree}", ":maxdepth: 1", "", *pages, "```", "",
             "| document | rules | enforced by a model function | checked by a property | with vector cases |",
             "|---|---|---|---|---|"]
    for doc, rs in sorted(docs.items()):
        ids = [r.id for r in rs]
        index.append(f"| [{doc}]({doc.removesuffix('.md')}.md) | {len(ids)} | {sum(1 for i in ids if funcs.get(i))} "
                     f"| {sum(1 for i in ids if props.get(i))} | {sum(1 for i in ids if cases.get(i))} |")
    (tdir / "index.md").write_text("\n".join(index) + "\n")
    return pages


def _rule_section(r, funcs, props, killers, cases, stem) -> list[str]:
    kind = "decision" if r.is_decision else "rule"
    lines = [f'<a id="{r.id}"></a>', "", f"## {r.id} {r.title}", "",
             f"*{kind}, [spec/{r.document} line {r.line}](../../_spec/{stem}.md)*", "",
             f"> {r.text or r.title}", ""]
    # raw HTML: the source pages are extra files (html_extra_path), not documents MyST could resolve
    links = [f'<a href="../../src/{rel}.html#L-{line}"><code>{q}</code></a>' for q, rel, line in funcs]
    lines.append(f"- **enforced by**: {_cell_list(links, 20)}")
    plines = []
    for p in props:
        muts = killers.get((p.machine, p.name), [])
        plines.append(f"`{p.machine}.{p.name}` ({p.kind.value}; mutants: "
                      f"{', '.join(f'`{m}`' for m in muts) or 'none'})")
    lines.append(f"- **checked by**: {_cell_list(plines, 20)}")
    lines.append(f"- **vector cases**: {_cell_list([c if ' ' in c else f'`{c}`' for c in cases], 8)}")
    lines.append("")
    return lines


def _diagrams(out: Path) -> None:
    from paraspec.checker.registry import build
    from paraspec.checker.stategraph import reachable_graph, to_svg

    ddir = out / "diagrams"
    ddir.mkdir()
    lines = ["# State diagrams", "",
             "The control states of small machines, drawn from the models: the reachable graph of the preset is "
             "explored breadth-first and projected onto the named fields of the state (`paraspec graph MACHINE "
             "--project FIELDS --format svg` draws the same). A node is a value of the fields (the initial one "
             "green, with a thick border); an edge says that an action of that kind takes some reachable state "
             "from one value to the other.", ""]
    for title, machine, sets, fields in DIAGRAMS:
        m = build(machine, None, None, sets)
        g = reachable_graph(m, fields)
        name = f"{machine}-{'-'.join(f.replace('[', '').replace(']', '').replace('.', '_') for f in fields)}.svg"
        (ddir / name).write_text(to_svg(g, title))
        lines += [f"## {title}", "",
                  f"`paraspec graph {machine}{''.join(f' --set {k}={v}' for k, v in sets.items())} "
                  f"--project '{','.join(fields)}' --format svg -o FILE`: {g.number_of_nodes()} control states, "
                  f"{g.number_of_edges()} edges, from {g.graph['states']:,} reachable states of preset {m.preset}.",
                  "", f"![{title}](diagrams/{name})", ""]
    lines += _sequence(ddir)
    (out / "diagrams.md").write_text("\n".join(lines) + "\n")


def _sequence(ddir: Path) -> list[str]:
    from paraspec.checker.explicit import Checker
    from paraspec.checker.registry import build, get_mutant, properties_of
    from paraspec.checker.results import Verdict
    from paraspec.checker.timeline import of_trace, sequence_svg

    mut = get_mutant(SEQUENCE_MUTANT)
    m = build(mut.machine, None, mut.name)
    r = Checker(m).with_properties(properties_of(mut.machine)).with_stop_on_violation(mut.kills).run()
    pr = next(p for p in r.properties if p.verdict == Verdict.VIOLATED and p.property.name in mut.kills)
    title = f"mutant {mut.name}: counterexample to {mut.machine}.{pr.property.name}"
    (ddir / "counterexample.svg").write_text(sequence_svg(of_trace(pr.trace, m.view), title))
    return [f"## A mutant's counterexample", "",
            f"The mutant `{mut.name}` ({mut.doc}) is caught by `{pr.property.name}` "
            f"({', '.join(pr.property.rules)}): {pr.property.doc} The shortest counterexample, {len(pr.trace)} "
            "step(s), as a sequence diagram: the environment (left) chooses each action; an arrow goes to every "
            "state variable it changed, with the new value. `paraspec check --mutant "
            f"{mut.name} --trace-dir out` writes it as ITF; `paraspec trace show --html` renders it as a timeline.",
            "", "![counterexample](diagrams/counterexample.svg)", ""]


def generate(docs: Path) -> None:
    out, extra = docs / "_gen", docs / "_extra"
    for d in (out, extra):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir()
    _traceability(out, extra)
    _diagrams(out)


def main(argv: list[str] | None = None) -> int:
    """``python docs/gen_site.py --vector-index SUITE``: write ``VECTOR_INDEX`` from a generated suite."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--vector-index", metavar="SUITE", required=True,
                    help="a suite written by `paraspec vectors generate` with the default options")
    args = ap.parse_args(argv)
    try:
        index = json.loads((Path(args.vector_index) / "index.json").read_text())
        kept = vector_index(index)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"{args.vector_index}/index.json: not a readable suite index ({e})", file=sys.stderr)
        return 2
    tmp = VECTOR_INDEX.with_suffix(".tmp")
    tmp.write_text(json.dumps(kept, indent=1, sort_keys=True) + "\n")
    tmp.replace(VECTOR_INDEX)
    print(f"{VECTOR_INDEX}: {len(kept['rules'])} rules, from {kept['cases']:,} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
