"""The generated pages of the site (docs/gen_site.py): an anchor per rule ID of spec/, source links that
point at the functions' lines, and a state diagram drawn from a model."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))

import gen_site  # noqa: E402

from paraspec.checker.spec import load_rules  # noqa: E402


def test_every_rule_has_an_anchor_and_source_links_hit_their_line(tmp_path, monkeypatch):
    monkeypatch.setenv("PARASPEC_DOCS_VECTORS", str(tmp_path / "none"))
    out, extra = tmp_path / "gen", tmp_path / "extra"
    out.mkdir(), extra.mkdir()
    gen_site._traceability(out, extra)
    text = "".join(p.read_text() for p in (out / "traceability").glob("*.md"))
    anchors = set(re.findall(r'<a id="([A-Z]+-D?\d+)"></a>', text))
    assert anchors == set(load_rules())
    links = re.findall(r'href="\.\./\.\./src/([^"#]+)\.html#L-(\d+)"><code>([\w.]+)</code>', text)
    assert len(links) > 100
    for rel, line, qual in links[:40]:
        src = (ROOT / rel).read_text().splitlines()
        name = qual.rsplit(".", 1)[-1]
        assert re.search(rf"def {name}\b", "\n".join(src[int(line) - 1:int(line) + 3])), (rel, line, qual)
        assert f'id="L-{line}"' in (extra / "src" / f"{rel}.html").read_text()


def test_a_state_diagram_is_drawn_from_the_model():
    from paraspec.checker.registry import build
    from paraspec.checker.stategraph import reachable_graph, to_svg

    g = reachable_graph(build("halts"), ["mode"])
    assert set(g.nodes) == {"RUNNING", "SOFT_STALL", "HARD_HALT", "EMERGENCY_HALT"}
    assert g.nodes["RUNNING"].get("initial") and g.has_edge("RUNNING", "EMERGENCY_HALT", key="EmergencyHalt")
    svg = to_svg(g, "halt modes")
    assert svg.count("<rect") == 4 and "EmergencyHalt" in svg


def test_without_a_suite_on_disk_the_vector_column_comes_from_the_kept_index(tmp_path, monkeypatch):
    """A plain `make docs` (no vectors/) fills the vector-case column from docs/vector_rules.json and says so;
    without that file the page says the column is empty and why."""
    monkeypatch.setenv("PARASPEC_DOCS_VECTORS", str(tmp_path / "none"))
    kept = tmp_path / "kept.json"
    kept.write_text(json.dumps({"generator": "g", "presets": ["tiny"], "machines": ["m"], "cases": 7,
                                "options": {"max_states": 12000, "reading": "seed"},
                                "rules": {"AV-6": {"positive": ["tiny/m/h/rule_AV-6_positive"],
                                                   "negative": ["tiny/m/h/rule_AV-6_negative"], "cases": 5}}}))
    monkeypatch.setattr(gen_site, "VECTOR_INDEX", kept)
    cases, note = gen_site._vector_cases()
    assert "`docs/kept.json`, the rule index of the default suite" in note and "7 cases" in note
    assert cases == {"AV-6": ["tiny/m/h/rule_AV-6_positive", "tiny/m/h/rule_AV-6_negative",
                              "3 more case(s) exercising it"]}
    monkeypatch.setattr(gen_site, "VECTOR_INDEX", tmp_path / "absent.json")
    cases, note = gen_site._vector_cases()
    assert cases == {} and "column is empty" in note


def test_the_kept_index_is_written_from_a_suite_and_bad_input_is_one_line(tmp_path, monkeypatch, capsys):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "index.json").write_text(json.dumps({
        "generator": "g", "presets": ["tiny"], "machines": ["m"], "options": {}, "cases": 2,
        "rules": {"X-1": {"positive": ["a"], "negative": ["b"], "cases": 2}}}))
    monkeypatch.setattr(gen_site, "VECTOR_INDEX", tmp_path / "kept.json")
    assert gen_site.main(["--vector-index", str(suite)]) == 0
    assert json.loads((tmp_path / "kept.json").read_text())["rules"]["X-1"]["positive"] == ["a"]
    assert gen_site.main(["--vector-index", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "index.json" in err[0]
