"""Conformance vectors: the generated suite, its format and schemas, its determinism,
its rule and mutant coverage, the self-test, every mutant as an adapter, and the
independent Node.js implementation."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from paraspec.checker.registry import build, load_all, machine_names, properties_of
from paraspec.checker.spec import load_rules
from paraspec.checker.vectors.cases import FORMAT, first_difference
from paraspec.checker.vectors.generate import Options, generate, machine_presets
from paraspec.checker.vectors.runner import Status, run_cases
from paraspec.checker.vectors.schemas import SCHEMA_DIR, check_shipped
from paraspec.checker.vectors.suite import load_suite
from paraspec.properties.core import MUTANTS

load_all()
ROOT = Path(__file__).resolve().parent.parent
PARASPEC = f"{sys.executable} -m paraspec"
NODE = shutil.which("node")


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    out = tmp_path_factory.mktemp("vectors") / "suite"
    res = generate(out, Options())
    return out, res


@pytest.fixture(scope="module")
def cases(suite):
    return load_suite(suite[0])


def test_layout_and_index(suite, cases):
    root, res = suite
    index = json.loads((root / "index.json").read_text())
    assert index["format"] == FORMAT
    assert index["presets"] == ["tiny", "trio"]  # tiny, and trio where av_threshold_ge is checked
    assert index["machines"] == sorted(index["machines"]) and {"availability", "inclusion"} <= set(index["machines"])
    assert index["cases"] == len(cases) == res.cases
    for key, pool in index["pools"].items():  # each machine's parameters, as used, beside its cases
        preset, machine = key.split("/")
        cfg = json.loads((root / preset / machine / "config.json").read_text())
        assert cfg["preset"] == preset and cfg == pool["parameters"]
        assert cfg == build(machine, preset).parameter_values()
    # every case file is at preset/machine/handler/name.json and says so
    for c in cases:
        preset, machine, handler, name = c.path[:-5].split("/")
        assert c.id == f"{preset}/{machine}/{handler}/{name}"
        assert c.data["handler"] == f"{machine}/{handler}"
    per_handler = {}
    for c in cases:
        per_handler[f"{c.data['preset']}/{c.handler}"] = per_handler.get(f"{c.data['preset']}/{c.handler}", 0) + 1
    assert {k: v["cases"] for k, v in index["handlers"].items()} == per_handler


def test_spine_handlers_and_kinds(cases):
    handlers = {c.handler for c in cases}
    assert {"availability/sign_bitfield", "availability/end_block", "inclusion/collate", "inclusion/statement",
            "inclusion/drop", "inclusion/bitfield", "inclusion/block"} <= handlers
    kinds = {(c.handler, c.data["kind"]) for c in cases}
    for h in ("availability/sign_bitfield", "availability/end_block", "inclusion/block"):
        assert {(h, "rule"), (h, "coverage"), (h, "mutant")} <= kinds


def test_every_case_is_valid_against_the_shipped_schemas(cases):
    """Every rule and mutant case, and the first 40 coverage cases of every handler
    directory, validate against the handler's schema and the envelope (validating all
    30,000 coverage cases takes minutes; they come from the same encoder)."""
    envelope = json.loads((SCHEMA_DIR / "case.schema.json").read_text())
    validators = {}
    per_dir: dict[str, int] = {}
    chosen = []
    for c in cases:
        if c.data["kind"] == "coverage":
            key = f"{c.data['preset']}/{c.handler}"
            per_dir[key] = per_dir.get(key, 0) + 1
            if per_dir[key] > 40:
                continue
        chosen.append(c)
    assert len(chosen) > 3000
    for c in chosen:
        name = c.handler.replace("/", ".") + ".schema.json"
        if name not in validators:
            validators[name] = jsonschema.Draft202012Validator(json.loads((SCHEMA_DIR / name).read_text()))
        errs = list(validators[name].iter_errors(c.data))
        assert not errs, f"{c.id}: {errs[0].message}"
        jsonschema.validate(c.data, envelope)


def test_schemas_travel_with_the_suite_and_are_current(suite):
    root, _ = suite
    assert check_shipped() == [], "run `paraspec vectors schemas` to refresh checker/schemas/"
    for f in (root / "schemas").iterdir():
        assert json.loads(f.read_text()) == json.loads((SCHEMA_DIR / f.name).read_text()), f.name


def test_the_docs_rule_index_is_the_default_suites(suite):
    """docs/vector_rules.json (the site's vector-case column when no suite is on disk) is the rule index of
    the default suite this code generates; refresh it with `python docs/gen_site.py --vector-index SUITE`."""
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import gen_site
    finally:
        sys.path.remove(str(ROOT / "docs"))
    if not gen_site.VECTOR_INDEX.exists():
        pytest.skip("docs/vector_rules.json is not kept (the site's vector-case column then says it is empty)")
    index = json.loads((suite[0] / "index.json").read_text())
    kept = json.loads(gen_site.VECTOR_INDEX.read_text())
    assert kept == gen_site.vector_index(index), (
        f"docs/vector_rules.json is stale: python docs/gen_site.py --vector-index {suite[0]}")


def test_errors_leave_the_state_unchanged_and_name_a_spec_rule(cases):
    rules = load_rules()
    errs = [c for c in cases if "err" in c.data["output"]]
    assert errs
    for c in errs:
        assert c.data["post_state"] == c.data["pre_state"], c.id
        assert c.data["output"]["err"] in rules, c.id
    for c in cases:
        assert c.data["rules"], f"{c.id} names no rule"
        assert set(c.data["rules"]) <= set(rules), c.id


def test_positive_and_negative_case_for_every_rule(suite, cases):
    """Every rule ID the machine's properties name has a positive and a negative
    scenario, on every preset; the suite reports no gap."""
    root, res = suite
    assert res.gaps == []
    from paraspec.checker.vectors.generate import _of_other_reading

    rules = load_rules()
    have = {(c.data["preset"], c.machine, c.data["rule"], c.data["polarity"]) for c in cases
            if c.data["kind"] == "rule"}
    # every machine's own rules on tiny, and on the presets its mutants need (trio for availability)
    for machine in machine_names():
        for preset in machine_presets(machine):
            # (a rule of the other reading, INC-31 "(reading=sdk)", has no case in this seed suite)
            named = {r for p in properties_of(machine) for r in p.rules
                     if not rules[r].is_decision and not _of_other_reading(rules[r], "seed")}
            for r in named:
                for pol in ("positive", "negative"):
                    assert any(h[0] == preset and h[2] == r and h[3] == pol for h in have), (preset, machine, r, pol)
    assert machine_presets("availability") == ["tiny", "trio"] and machine_presets("inclusion") == ["tiny"]


def test_rule_scenarios_mean_what_they_say(cases):
    by_id = {c.id: c for c in cases}
    neg = by_id["tiny/availability/sign_bitfield/rule_AV-4_negative"].data
    assert neg["output"] == {"err": "AV-4"}
    assert neg["input"]["args"]["signer"] != neg["input"]["args"]["validator"]
    pos = by_id["tiny/availability/end_block/rule_AV-6_positive"].data
    assert pos["output"] == {"ok": None}
    assert "AVAILABLE" in [p["status"] for p in pos["post_state"]["paras"]]
    neg6 = by_id["tiny/availability/end_block/rule_AV-6_negative"].data
    assert "AVAILABLE" not in [p["status"] for p in neg6["post_state"]["paras"]]
    # INC-9: the core is freed and occupied again by the para's next candidate in one block
    inc9 = by_id["tiny/inclusion/block/rule_INC-9_positive"].data
    p = next(i for i, c in enumerate(inc9["pre_state"]["cores"]) if c is not None
             and inc9["post_state"]["cores"][i] is not None
             and inc9["post_state"]["cores"][i]["serial"] == c["serial"] + 1)
    assert inc9["output"] == {"ok": None} and inc9["input"]["args"]["backed"] >> p & 1
    assert inc9["post_state"]["exits"][p] == inc9["pre_state"]["exits"][p] + 1
    # and its negative: the mutant that checks cores before enactment rejects that kind of block
    neg9 = by_id["tiny/inclusion/block/rule_INC-9_negative"].data
    assert neg9["mutant"] == "inc_candidates_before_availability" and neg9["output"] == {"ok": None}
    assert by_id["tiny/inclusion/statement/rule_INC-3_negative"].data["output"] == {"err": "INC-3"}
    assert by_id["tiny/inclusion/drop/rule_INC-2_negative"].data["output"] == {"err": "INC-2"}


def test_coverage_exercises_every_action_kind_in_every_shape(cases):
    """Every (shape, action kind) the full exploration of availability@trio and
    inclusion@tiny with one candidate per para reaches has a coverage case."""
    from paraspec.checker.fingerprint import fingerprint
    from paraspec.checker.registry import build
    from paraspec.model.handlers import shape_of

    covered = {(c.data["preset"], c.machine, c.data["shape"], c.data["input"]["action"]) for c in cases
               if c.data["kind"] == "coverage"}
    for machine, preset, overrides in (("availability", "trio", {}), ("inclusion", "tiny", {"max_candidates": 1})):
        m = build(machine, preset, overrides=overrides)
        seen, frontier, pairs = set(), list(m.init()), set()
        while frontier:
            nxt = []
            for s in frontier:
                fp = fingerprint(s)
                if fp in seen:
                    continue
                seen.add(fp)
                sh = shape_of(m, s)
                for a in m.actions(s):
                    pairs.add((preset, machine, sh, type(a).__name__))
                    try:
                        nxt.append(m.step(s, a))
                    except Exception:
                        pass
            frontier = nxt
        missing = pairs - covered
        assert not missing, sorted(missing)[:5]


def test_every_mutant_has_a_case_and_the_suite_kills_every_mutant(suite, cases):
    root, res = suite
    names = {c.data.get("mutant") for c in cases if c.data["kind"] == "mutant"}
    assert names == set(MUTANTS)
    index = json.loads((root / "index.json").read_text())
    adequacy = index["mutation_adequacy"]
    assert adequacy["killed"] == adequacy["mutants"] == len(MUTANTS)
    assert all(v["killed"] and v["failing_case"] for v in adequacy["by_mutant"].values())


def test_generation_is_deterministic(tmp_path):
    """The same command, in two processes with different hash seeds, gives
    byte-identical files (on two machines with declared handlers and views, and the
    preset a mutant needs)."""
    outs = []
    for seed in ("1", "12345"):
        out = tmp_path / f"s{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        p = subprocess.run([sys.executable, "-m", "paraspec", "vectors", "generate", "--out", str(out), "-q",
                            "--machine", "availability", "--machine", "scheduler", "--preset", "tiny",
                            "--preset", "trio"], cwd=ROOT, env=env, capture_output=True, text=True)
        assert p.returncode == 0, p.stdout + p.stderr
        outs.append(out)
    a, b = ([q.relative_to(o).as_posix() for o in (out,) for q in sorted(out.rglob("*")) if q.is_file()]
            for out in outs)
    assert a == b and len(a) > 100
    for rel in a:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel


def test_self_test_reference_adapter_passes_everything(cases):
    results = run_cases(cases, f"{PARASPEC} adapter", timeout=120)
    bad = [r for r in results if r.status != Status.PASS]
    assert not bad, bad[:3]
    assert len(results) == len(cases)


#: one mutant per machine run through the adapter protocol (the in-process adequacy
#: measure runs every mutant the same way, without a process each)
ADAPTER_MUTANTS = sorted({m.machine: name for name, m in sorted(MUTANTS.items(), reverse=True)}.values())


@pytest.mark.parametrize("name", ADAPTER_MUTANTS)
def test_a_mutant_as_an_adapter_fails_a_case(cases, name):
    mine = [c for c in cases if c.machine == MUTANTS[name].machine]
    results = run_cases(mine, f"{PARASPEC} adapter --mutant {name}", timeout=120, exitfirst=True)
    last = results[-1]
    assert last.status in (Status.FAIL, Status.ERROR), f"mutant {name} passes all {len(mine)} cases of " \
                                                       f"{MUTANTS[name].machine}"
    assert all(r.status == Status.PASS for r in results[:-1])
    if last.status == Status.FAIL:  # the report names the first differing field
        assert last.message.split(":")[0].startswith(("output", "post_state")), last.message
    else:  # the mutant raised: the adapter says so, and the run goes on
        assert last.message.startswith("adapter error:"), last.message


def test_every_machine_has_a_mutant_run_as_an_adapter():
    assert {MUTANTS[n].machine for n in ADAPTER_MUTANTS} == {m.machine for m in MUTANTS.values()}


@pytest.mark.skipif(NODE is None, reason="`node` is not installed: the Node.js adapter cannot run")
def test_node_adapter_passes_the_whole_suite(cases):
    spine = [c for c in cases if c.machine in ("availability", "inclusion")]
    results = run_cases(spine, f"{NODE} {ROOT / 'examples/adapters/node/adapter.js'}", timeout=120)
    bad = [r for r in results if r.status != Status.PASS]
    assert not bad, bad[:3]
    assert len(results) == len(spine) > 1000


@pytest.mark.skipif(NODE is None, reason="`node` is not installed: the Node.js adapter cannot run")
def test_node_adapter_with_a_bug_is_caught(cases, tmp_path):
    """The suite catches a bug in the second implementation: `>=` for `>` in the 2/3 rule."""
    src = (ROOT / "examples/adapters/node/adapter.js").read_text()
    assert src.count("3 * votes > 2 * n") == 1
    buggy = tmp_path / "buggy.js"
    buggy.write_text(src.replace("3 * votes > 2 * n", "3 * votes >= 2 * n"))
    results = run_cases([c for c in cases if c.machine == "availability"], f"{NODE} {buggy}", timeout=120)
    failed = [r for r in results if r.status == Status.FAIL]
    assert failed and all(r.id.startswith("trio/") for r in failed)


def test_cli_generate_and_run_with_reports(tmp_path, capsys):
    from paraspec.checker.cli import main

    out = tmp_path / "v"
    code = main(["vectors", "generate", "--out", str(out), "--machine", "availability", "--preset", "trio"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "mutation adequacy 11/11 (100%)" in text and "effect coverage" in text and "generated in" in text
    js, xml = tmp_path / "r.json", tmp_path / "r.xml"
    code = main(["vectors", "run", str(out), "--adapter", f"{PARASPEC} adapter", "--json", str(js),
                 "--junit", str(xml)])
    text = capsys.readouterr().out
    assert code == 0, text
    report = json.loads(js.read_text())
    assert report["ok"] and report["counts"]["pass"] == len(report["cases"]) > 50
    import xml.etree.ElementTree as ET

    root = ET.parse(xml).getroot()
    assert sum(int(s.get("tests")) for s in root) == len(report["cases"])
    # a mutant adapter: exit 1, failures named with their first differing field
    code = main(["vectors", "run", str(out), "--adapter", f"{PARASPEC} adapter --mutant av_threshold_ge"])
    text = capsys.readouterr().out
    assert code == 1
    assert "FAIL trio/availability/end_block/" in text and "post_state.paras[" in text


def test_generate_for_tiny_only_reports_the_mutant_it_cannot_kill(tmp_path, capsys):
    from paraspec.checker.cli import main

    code = main(["vectors", "generate", "--out", str(tmp_path / "v"), "--machine", "availability",
                 "--preset", "tiny", "--max-states", "3000", "-q"])
    text = capsys.readouterr().out
    assert code == 1
    assert "mutation adequacy 10/11" in text
    assert "mutant av_threshold_ge passes every case (it is checked on preset trio; add --preset trio)" in text


def test_first_difference_paths():
    assert first_difference({"a": [1, {"b": 2}]}, {"a": [1, {"b": 3}]}) == "a[1].b: expected 2, got 3"
    assert first_difference({"a": 1}, {"a": True}) == "a: expected 1, got true"
    assert first_difference({"a": 1}, {}) == "a: missing (expected 1)"
    assert first_difference({"a": 1}, {"a": 1, "z": 0}) == "z: unexpected field (value 0)"
    assert first_difference([1, 2], [1]) == "$: expected 2 elements, got 1"
    assert first_difference({"output": {"ok": None}}, {"output": {"err": "AV-4"}}) == \
        "output.ok: missing (expected null)"
    assert first_difference({"a": {"b": [1]}}, {"a": {"b": [1]}}) is None
