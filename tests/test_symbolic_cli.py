"""``paraspec prove``: exit codes, one-line errors, reports, traces; ``paraspec list`` shows the lemmas."""

import json
import xml.etree.ElementTree as ET

import pytest

from paraspec.checker.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("argv,needle", [
    (["prove", "nosuch"], "unknown lemma or machine 'nosuch'"),
    (["prove", "--depth", "0"], "--depth"),
    (["prove", "--timeout", "soon"], "--timeout"),
    (["prove", "--mutant", "nosuch"], "unknown mutant 'nosuch'"),
    (["prove", "--preset", "huge", "availability"], "--preset huge: not a preset of availability"),
    (["prove", "--json", "/nonexistent/dir/r.json", "rotation_is_a_bijection"], "/nonexistent/dir"),
    (["prove", "inclusion", "--mutant", "av_threshold_ge"], "belongs to machine"),
    (["prove", "availability", "--set", "n_validators=lots"], "n_validators"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("paraspec: error:")
    assert needle in err


def test_lemmas_proved_exit_0(capsys, tmp_path):
    code, out, _ = run(capsys, "prove", "supermajority_is_more_than_two_thirds", "rotation_is_a_bijection",
                       "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml"))
    assert code == 0
    assert "all proved" in out
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["ok"] is True and data["command"] == "prove"
    assert [i["name"] for i in data["items"]] == ["supermajority_is_more_than_two_thirds", "rotation_is_a_bijection"]
    assert all(i["verdict"]["status"] == "proved" and i["rules"] for i in data["items"])
    suites = ET.parse(tmp_path / "r.xml").getroot()
    assert suites.find("testsuite").get("failures") == "0"


def test_machine_k_induction_with_crosscheck(capsys, tmp_path):
    code, out, _ = run(capsys, "prove", "availability", "--preset", "trio", "--crosscheck", "4",
                       "--json", str(tmp_path / "r.json"))
    assert code == 0, out
    assert "encoding agrees with the model" in out
    data = json.loads((tmp_path / "r.json").read_text())
    items = {i["name"]: i for i in data["items"]}
    v = items["availability.timed_out_never_enacted"]["verdict"]
    assert v["status"] == "proved" and v["k"] == 1 and v["strengthened_by"] == ["serials_consistent"]
    assert data["runs"][0]["k"] == 1 and data["runs"][0]["encoding"]["actions"] > 0


def test_unproved_property_exits_1(capsys, tmp_path):
    code, out, _ = run(capsys, "prove", "availability", "--preset", "trio", "--no-strengthening", "--depth", "2",
                       "--junit", str(tmp_path / "r.xml"))
    assert code == 1
    assert "bounded" in out and "not all proved" in out
    failures = [c for c in ET.parse(tmp_path / "r.xml").getroot().iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failures] == ["availability.timed_out_never_enacted"]


def test_mutant_counterexample_written_and_replayable(capsys, tmp_path):
    d = tmp_path / "traces"
    code, out, _ = run(capsys, "prove", "--mutant", "av_no_signature_check", "--trace-dir", str(d), "--depth", "3")
    assert code == 1  # caught, like `check --mutant`
    assert "caught" in out
    files = sorted(d.glob("*.itf.json"))
    assert len(files) == 1 and "forged_bitfield_rejected" in files[0].name
    assert main(["trace", "replay", str(files[0])]) == 0


def test_all_mutants_of_a_machine(capsys, tmp_path):
    code, out, _ = run(capsys, "prove", "availability", "--all-mutants", "--preset", "trio", "--depth", "8",
                       "--json", str(tmp_path / "m.json"))
    assert code == 0, out
    data = json.loads((tmp_path / "m.json").read_text())
    bmc = [i for i in data["items"] if i["engine"] == "bmc"]
    assert bmc and all(i["verdict"]["status"] == "counterexample" and i["ok"] for i in bmc)
    assert {i["mutant"] for i in bmc} == {
        "av_threshold_ge", "av_threshold_half", "av_timeout_off_by_one", "av_unavailable_still_counted",
        "av_no_signature_check", "av_duplicates_allowed", "av_no_length_check", "av_free_bits_counted",
        "av_note_over_pending", "av_vote_not_recorded", "av_age_not_advanced"}


def test_list_shows_lemmas(capsys):
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0
    lemmas = {lm["name"]: lm for lm in json.loads(out)["lemmas"]}
    assert lemmas["halt_committee_is_127"]["rules"] == ["TH-15"]
    assert "inclusion_counting_enacted_above_two_thirds" in lemmas
