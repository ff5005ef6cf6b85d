"""``paraspec prove`` on valid input never ends in a traceback (issue 17, defect 1).

A machine or mutant the symbolic engine cannot encode (or whose encoding hits a limit) is
reported per item as ``unknown: no symbolic encoding: <reason>``, exit 1 (exit 0 with
``--mutant`` alone: not caught); absurd numeric arguments are one line, exit 2. Calls are
in-process (``main``) with small depths and short time limits; no assertion depends on how
fast the machine is.
"""

from __future__ import annotations

import json
import time

import pytest

from paraspec.checker.cli import main
from paraspec.checker.registry import build, load_all, machine_names, properties_of
from paraspec.checker.symbolic.limits import MAX_DEPTH, MAX_TIMEOUT_S, z3_timeout_ms
from paraspec.properties.core import MUTANTS

load_all()
#: machines whose reachable states change the length of a tuple (the encoding's schema
#: takes tuple lengths from the initial state): `prove` raised `Unsupported` on them
UNENCODABLE = ["halts", "overseer", "paras", "rollback", "scheduler", "upgrades"]


def _prove(capsys, tmp_path, *argv):
    path = tmp_path / "r.json"
    code = main(["prove", "-q", "--json", str(path), *argv])
    err = capsys.readouterr().err
    return code, err, json.loads(path.read_text()) if path.exists() else None


@pytest.mark.parametrize("name", machine_names())
def test_every_machine_gives_a_verdict_per_item(capsys, tmp_path, name):
    code, err, data = _prove(capsys, tmp_path, name, "--depth", "1", "--timeout", "5")
    assert code in (0, 1), err
    assert err == ""
    assert data["items"], "every always/transition property of the machine is an item"
    for item in data["items"]:
        v = item["verdict"]
        assert v["status"] in ("proved", "counterexample", "bounded", "unknown")
        if v["status"] == "unknown":
            assert v["text"].startswith("unknown: ") and v["reason"]
    assert code == (0 if all(i["ok"] for i in data["items"]) else 1)


@pytest.mark.parametrize("name", UNENCODABLE)
def test_a_machine_the_engine_cannot_encode_is_reported_as_such(capsys, tmp_path, name):
    code, err, data = _prove(capsys, tmp_path, name, "--depth", "1", "--timeout", "300")
    assert code == 1 and err == ""
    assert {i["verdict"]["status"] for i in data["items"]} == {"unknown"}
    for item in data["items"]:
        assert item["verdict"]["text"].startswith("unknown: no symbolic encoding: ")
        assert "shape" in item["verdict"]["reason"]
    assert data["runs"][0]["note"]


def _sample_mutants() -> list[str]:
    """One mutant per machine (the first declared), and par_no_last_pruned."""
    firsts: dict[str, str] = {}
    for mu in MUTANTS.values():
        firsts.setdefault(mu.machine, mu.name)
    return sorted(set(firsts.values()) | {"par_no_last_pruned"})


@pytest.mark.parametrize("mutant", _sample_mutants())
def test_sampled_mutants_give_a_verdict(capsys, tmp_path, mutant):
    code, err, data = _prove(capsys, tmp_path, "--mutant", mutant, "--depth", "1", "--timeout", "3")
    assert code in (0, 1), err
    assert err == ""
    bmc = [i for i in data["items"] if i["engine"] == "bmc"]
    assert bmc and all(i["mutant"] == mutant for i in bmc)
    caught = all(i["verdict"]["status"] == "counterexample" for i in bmc)
    assert code == (1 if caught else 0)  # --mutant alone: exit 1 means caught


def test_par_no_last_pruned_says_why_it_is_not_encoded(capsys, tmp_path):
    code, err, data = _prove(capsys, tmp_path, "--mutant", "par_no_last_pruned", "--timeout", "300")
    assert code == 0 and err == ""  # not caught: undecided, reported as unknown
    bmc = [i for i in data["items"] if i["engine"] == "bmc"]
    assert bmc and all(i["verdict"]["text"].startswith("unknown: no symbolic encoding: ") for i in bmc)


def test_all_mutants_of_an_unencodable_machine_exit_1(capsys, tmp_path):
    code, err, data = _prove(capsys, tmp_path, "upgrades", "--all-mutants", "--depth", "1", "--timeout", "5")
    assert code == 1 and err == ""
    assert {i["verdict"]["status"] for i in data["items"] if i["engine"] == "bmc"} == {"unknown"}


def test_encoding_cached_by_an_earlier_run_does_not_carry_its_deadline(monkeypatch):
    """`prove availability inclusion --all-mutants` on a loaded machine stopped with a
    traceback ("exploration limit: time limit while building the encoding"): the base
    machine's encoding, cached, kept the deadline of the run that built it, and a later
    mutant's property formulas, built on first use on it, hit that deadline."""
    from paraspec.checker.symbolic import encoding
    from paraspec.checker.symbolic.run import bmc_mutant

    monkeypatch.setattr(encoding, "_CACHE", {})  # no formula of the base built by another test
    base = encoding.encode(build("availability"), time_limit=600)
    base.deadline = time.perf_counter() - 1  # as if built by a run whose time is up
    for name in ("av_threshold_half", "av_timeout_off_by_one", "av_note_over_pending"):
        mu = MUTANTS[name]
        _, items = bmc_mutant(build("availability", None, name), properties_of("availability"), mu.kills,
                              depth=4, timeout=600)
        assert [i.status for i in items] == ["counterexample"] * len(items), [str(i.verdict) for i in items]


def test_the_time_limit_holds_while_inferring_a_domain(capsys, tmp_path):
    """approval declares no symbolic domain: inferring one explores 20,000 states (seconds),
    which ignored the time limit."""
    code, err, data = _prove(capsys, tmp_path, "approval", "--depth", "1", "--timeout", "0.2")
    assert code == 1 and err == ""
    for item in data["items"]:
        assert item["verdict"]["status"] == "unknown"
        assert "time limit while inferring the symbolic domain" in item["verdict"]["reason"]


@pytest.mark.parametrize("argv,needle", [
    (["--timeout", "1e308"], "--timeout: at most"),
    (["--timeout", str(MAX_TIMEOUT_S + 1)], "--timeout: at most"),
    (["--timeout", "inf"], "--timeout"),
    (["--timeout", "-inf"], "--timeout"),
    (["--timeout", "nan"], "--timeout"),
    (["--depth", str(MAX_DEPTH + 1)], "--depth: at most"),
    (["--depth", "9" * 400], "--depth: at most"),
    (["--depth", "9" * 5000], "--depth"),
])
def test_absurd_numbers_are_one_line_exit_2(capsys, argv, needle):
    code = main(["prove", "availability", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("paraspec: error:")
    assert needle in err


def test_the_largest_timeout_and_depth_are_accepted(capsys, tmp_path):
    code, err, data = _prove(capsys, tmp_path, "supermajority_is_more_than_two_thirds", "--timeout",
                             str(MAX_TIMEOUT_S))
    assert code == 0 and err == ""
    assert data["items"][0]["verdict"]["status"] == "proved"
    code, err, _ = _prove(capsys, tmp_path, "upgrades", "--depth", str(MAX_DEPTH), "--timeout", "20")
    assert code == 1 and err == ""


@pytest.mark.parametrize("seconds", [0.0, 1e-9, 1.5, 1e6, 1e308, float("inf"), float("nan")])
def test_z3_timeouts_are_clamped_to_what_z3_represents(seconds):
    ms = z3_timeout_ms(seconds)
    assert 1 <= ms <= (1 << 32) - 1


def test_lemmas_and_provers_take_any_time_limit():
    """The engine itself never overflows on a time limit (library callers)."""
    from paraspec.checker.symbolic.lemmas import get_lemma
    from paraspec.checker.symbolic.run import prove_machine_item

    lm = get_lemma("supermajority_is_more_than_two_thirds")
    assert lm.prove(1e308).verdict.status == "proved"
    _, items = prove_machine_item(build("availability"), properties_of("availability"), max_k=1, timeout=1e308)
    assert items and all(i.status in ("proved", "bounded", "unknown") for i in items)
