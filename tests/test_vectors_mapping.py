"""The mapping table to polkadot-sdk (docs/vectors-mapping.md) and the suite split (issue 20)."""

from __future__ import annotations

from pathlib import Path

from paraspec.checker.cli import main
from paraspec.checker.registry import load_all
from paraspec.checker.vectors.mapping import ERRORS, covered, field_paths, render, runtime_rejections
from paraspec.checker.vectors.suites import suite_of

ROOT = Path(__file__).resolve().parent.parent
load_all()


def test_every_field_of_the_runtime_state_and_block_has_a_row():
    from paraspec.model.runtime.runtime import RelayBlock, RuntimeState

    paths = field_paths(RuntimeState) + field_paths(RelayBlock, "input.")
    leaves = [p for p in paths if not any(q.startswith(p + ".") for q in paths)]  # a record is its fields
    assert "inclusion.pending[][1].votes" in leaves or any(p.startswith("inclusion.pending") for p in leaves)
    assert [p for p in leaves if covered("runtime", p) is None] == []


def test_every_rule_a_runtime_or_spine_handler_rejects_with_has_an_sdk_row():
    rejected = runtime_rejections()
    assert {"AV-4", "INC-4", "INC-29"} <= rejected
    assert sorted(rejected - set(ERRORS)) == []
    assert ERRORS["INC-4"][0] == "InsufficientBacking"


def test_the_mapping_document_is_current(capsys):
    assert (ROOT / "docs" / "vectors-mapping.md").read_text() == render()
    assert main(["vectors", "mapping", "--check", "--out", str(ROOT / "docs" / "vectors-mapping.md")]) == 0


def test_suite_split():
    assert suite_of("runtime/relay_block") == "runtime"
    assert {suite_of(h) for h in ("inclusion/collate", "inclusion/statement", "inclusion/drop",
                                   "backing/second", "approval/check", "overseer/deliver")} == {"node"}
    assert suite_of("inclusion/block") == "runtime_module"
    assert suite_of("halts/round") == "protocol"


def test_every_config_field_is_described_and_every_config_json_is_valid():
    import json

    import jsonschema

    from paraspec.checker.registry import build, get_machine_class, machine_names
    from paraspec.checker.vectors.cases import config_json
    from paraspec.checker.vectors.configdoc import host_fields_complete

    assert host_fields_complete() == []
    sch = json.loads((ROOT / "checker" / "schemas" / "config.schema.json").read_text())
    for name, prop in sch["properties"].items():
        assert not prop.get("description", "Honoured by").startswith("Honoured by"), name
    for name in machine_names():
        for preset in get_machine_class(name).presets:
            cfg = config_json(build(name, preset))
            jsonschema.validate(cfg, sch)
            # a parameter the machine does not honour is never recorded
            assert set(cfg) - {"preset"} == set(get_machine_class(name).parameter_names())
    assert "group_rotation_frequency" not in config_json(build("inclusion", "tiny"))


def test_runtime_case_descriptions_are_sentences():
    """A runtime case's description says in words what the block carries (it used to be the
    block's nested repr), then what happened to it."""
    from paraspec.checker.registry import build, load_all
    from paraspec.checker.vectors.generate import _outcome_text
    from paraspec.model.core import Rejected
    from paraspec.model.runtime.disputes import DisputeStatementSet
    from paraspec.model.runtime.inclusion import BackedCandidate
    from paraspec.model.runtime.runtime import InclusionInherent, RelayBlock, SessionChange

    load_all()
    block = RelayBlock(SessionChange((0, 1, 2, 3), (0, 1, 2, 3), 2), False, (InclusionInherent(
        (), (BackedCandidate(0, 1, (1, 2), None, 111),), (DisputeStatementSet(0, 2, 0, 14, 1),)),))
    text = _outcome_text(block, Rejected("INC-32", "no candidate of para 0 backed in block 2"))
    assert "RelayBlock(" not in text and "InclusionInherent(" not in text
    assert text.startswith("a block with a session change (4 validators, seed 2)")
    assert "a candidate of para 0 (head 1) backed by 1,2, upgrading to code 111" in text
    assert "a dispute statement set on para 0's candidate backed in block 2 (session 0; valid: 1,2,3; invalid: 0)" in text
    assert text.endswith("is rejected by INC-32: no candidate of para 0 backed in block 2")
    m = build("runtime", "tiny")
    s = next(iter(m.init()))
    assert all(a.describe().startswith("a block with ") for a in m.actions(s))
