"""The CLI explains itself (issue 16): help with an example everywhere, list filters, the closing line of a
failing check, several traces at once and as HTML, graphs, GitHub annotations, shell completion; adapter
responses checked against response.schema.json."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET

import pytest

from paraspec.checker.cli import build_parser, main
from paraspec.checker.commands._help import missing


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_subcommand_has_a_description_and_an_example():
    assert missing(build_parser()) == []


def test_list_shows_machines_by_default_and_filters(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0 and "machines" in out and "rules" not in out.split("more:")[0]
    assert len(out.splitlines()) < 80
    code, out, _ = run(capsys, "list", "--machine", "rescue", "--kind", "properties", "--json")
    data = json.loads(out)
    assert code == 0 and list(data) == ["properties"]
    assert data["properties"] and {p["machine"] for p in data["properties"]} == {"rescue"}
    code, out, _ = run(capsys, "list", "--machine", "rescue", "--kind", "rules", "--json")
    assert {r["document"] for r in json.loads(out)["rules"]} >= {"spec/rescue.md"}
    code, _, err = run(capsys, "list", "--machine", "nosuch")
    assert code == 2 and "unknown machine 'nosuch'" in err


def test_a_failing_check_ends_with_the_failing_properties_and_why(capsys):
    code, out, _ = run(capsys, "check", "configuration", "--max-states", "20")
    last = out.strip().splitlines()[-1]
    assert code == 1
    assert last.startswith("failing (1): configuration.two_changes_in_force (unwitnessed (bounded by max_states")
    assert "None" not in out
    code, out, _ = run(capsys, "check", "configuration", "--simulate", "--steps", "40", "--walk-depth", "4")
    assert "None" not in out and "holds (bounded: random walks)" in out


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    d = tmp_path_factory.mktemp("t")
    assert main(["check", "halts", "--mutant", "hlt_cluster_off_by_one", "--trace-dir", str(d), "-q"]) == 1
    assert main(["check", "configuration", "--trace-dir", str(d), "-q"]) == 0
    return d


def test_trace_show_and_replay_take_several_files_and_directories(capsys, traces):
    files = sorted(traces.glob("*.itf.json"))
    assert len(files) >= 2
    code, out, _ = run(capsys, "trace", "show", str(traces))
    assert code == 0 and out.count("state(s)") == len(files)
    code, out, _ = run(capsys, "trace", "replay", *map(str, files[:2]))
    assert code == 0 and "2 trace(s) replayed, every state matches" in out
    code, _, err = run(capsys, "trace", "replay", str(traces.parent))
    assert code == 2 and "no *.itf.json files" in err


def test_trace_show_html(capsys, traces, tmp_path):
    f = next(traces.glob("*counterexample*"))
    code, out, _ = run(capsys, "trace", "show", str(f), "--html", str(tmp_path / "t.html"))
    page = (tmp_path / "t.html").read_text()
    assert code == 0 and page.startswith("<!DOCTYPE html>") and 'id="state-1"' in page
    assert "<script" not in page and "http" not in page.split("<body>")[1]  # self-contained
    code, out, _ = run(capsys, "trace", "show", str(traces), "--html", str(tmp_path / "pages"))
    assert code == 0 and len(list((tmp_path / "pages").glob("*.html"))) == len(list(traces.glob("*.itf.json")))


def test_graph_formats_and_projection(capsys, tmp_path):
    code, out, _ = run(capsys, "graph", "halts", "--project", "mode", "-o", str(tmp_path / "h.dot"))
    dot = (tmp_path / "h.dot").read_text()
    assert code == 0 and "4608 states" in dot.replace(",", "") and '"RUNNING" -> "SOFT_STALL"' in dot
    code, out, _ = run(capsys, "graph", "rescue", "--format", "graphml", "-o", str(tmp_path / "r.graphml"))
    root = ET.parse(tmp_path / "r.graphml").getroot()
    assert code == 0 and len(root.findall(".//{http://graphml.graphdrawing.org/xmlns}node")) == 510
    code, out, _ = run(capsys, "graph", "inclusion", "--set", "max_candidates=1", "--project", "paras[0].stage",
                       "--format", "svg", "-o", str(tmp_path / "i.svg"))
    svg = (tmp_path / "i.svg").read_text()
    assert code == 0 and svg.startswith("<svg") and ">IDLE<" in svg and ">BACKABLE<" in svg
    code, _, err = run(capsys, "graph", "halts", "--project", "nosuch", "-o", str(tmp_path / "x.dot"))
    assert code == 2 and "no field 'nosuch'" in err and not (tmp_path / "x.dot").exists()


def test_report_github_annotations(capsys, tmp_path):
    assert main(["check", "configuration", "--max-states", "20", "--json", str(tmp_path / "r.json"), "-q"]) == 1
    capsys.readouterr()
    code, out, _ = run(capsys, "report", str(tmp_path / "r.json"), "--github")
    assert code == 1
    assert out.startswith("::error title=paraspec configuration.two_changes_in_force::unwitnessed")
    (tmp_path / "bad.json").write_text("[]")
    code, _, err = run(capsys, "report", str(tmp_path / "bad.json"))
    assert code == 2 and "not a paraspec JSON report" in err


def test_bash_completion_script(capsys, tmp_path):
    code, out, _ = run(capsys, "completion", "bash")
    assert code == 0
    (tmp_path / "c.sh").write_text(out)
    probe = ('source c.sh; COMP_WORDS=(paraspec check --mutant hlt_cl); COMP_CWORD=3; _paraspec; '
             'echo "${COMPREPLY[*]}"; COMP_WORDS=(paraspec trace ""); COMP_CWORD=2; _paraspec; echo "${COMPREPLY[*]}"')
    res = subprocess.run(["bash", "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    lines = res.stdout.splitlines()
    assert lines[0] == "hlt_cluster_off_by_one" and set(lines[1].split()) == {"--help", "show", "replay"}


@pytest.mark.parametrize("resp,status,needle", [
    ({"output": {"err": "not a rule"}, "post_state": {}}, "error", "response.output"),
    ({"output": {"ok": None}, "post_state": {}, "extra": 1}, "error", "'extra' was unexpected"),
    ({"output": {"ok": None}}, "error", "response lacks 'post_state'"),
    ({"error": 3}, "error", "response.error: 3 is not of type 'string'"),
    ({"output": {"ok": None}, "post_state": {}}, "pass", ""),
])
def test_responses_are_checked_against_the_schema(resp, status, needle):
    from paraspec.checker.vectors.runner import judge
    from paraspec.checker.vectors.suite import Case

    data = {"id": "tiny/m/h/c", "handler": "m/h", "machine": "m", "kind": "rule", "pre_state": {},
            "input": {"action": "X", "args": {}}, "output": {"ok": None}, "post_state": {}}
    got, msg, _ = judge(Case("c.json", data, {"preset": "tiny"}), json.dumps({"id": "tiny/m/h/c", **resp}).encode())
    assert got == status and needle in msg, msg
