"""The manifest (tests/manifest.toml): every machine explored exhaustively on its pinned
configurations, the way TLA+ example manifests pin TLC's results.

The pins of the default presets are checked by ``make check`` (``paraspec check --manifest``, which
runs every machine at its default preset with all properties); this file runs the pins of the other
configurations, checks that every machine has a pin at its default preset and that ``make check``
checks them, and that ``--manifest`` reports a wrong pin. ``avail_core``, the benchmark twin, is also
pinned against SPIN's and Quint's counts in ``test_avail_core.py``; every mutant is killed in
``make check`` (``--all-mutants``), a sample of them in ``test_mutants.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from paraspec.checker.explicit import Checker
from paraspec.checker.manifest import load, problems
from paraspec.checker.registry import build, load_all, machine_names, properties_of

load_all()

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "tests" / "manifest.toml"
PINS = load(MANIFEST)


def _at_default(pin) -> bool:
    """A pin ``make check`` checks: the default preset, explored in full."""
    return pin.parameters == build(pin.machine, None).parameter_values() and not pin.symmetry


#: pins whose search another test runs anyway, and compares with the pin there
ELSEWHERE = {"availability@trio": "tests/test_parallel.py::test_two_workers_agree_with_one",
             "inclusion@tiny[max_candidates=1]": "tests/test_parallel.py::test_two_workers_agree_with_one"}
OTHERS = [p for p in PINS if not _at_default(p) and p.id not in ELSEWHERE]


@pytest.mark.parametrize("pin", OTHERS, ids=lambda p: p.id)
def test_pin(pin):
    r = Checker(build(pin.machine, pin.preset, overrides=pin.overrides or None)).with_properties(
        properties_of(pin.machine)).with_symmetry(pin.symmetry).run()
    assert pin.matches(r) and problems(pin, r) == []


def test_every_machine_has_a_pin_at_its_default_preset():
    assert {p.machine for p in PINS if _at_default(p)} == set(machine_names())


def test_the_pins_checked_elsewhere_are_checked_there():
    assert set(ELSEWHERE) <= {p.id for p in PINS}
    for pin, where in ELSEWHERE.items():
        path, test = where.split("::")
        body = (ROOT / path).read_text().split(f"def {test}(", 1)[1].split("\ndef ", 1)[0]
        assert "problems(" in body, where
        params = (ROOT / path).read_text().split(f"def {test}(", 1)[0].rsplit("@pytest.mark.parametrize", 1)[1]
        machine, preset = pin.split("[")[0].split("@")
        assert f'("{machine}", "{preset}", None' in params, (pin, where)


def test_make_check_checks_the_manifest():
    """The default pins are checked only by ``make check``: its plain run (every machine at its default
    preset, all properties) must read the manifest."""
    recipe = re.search(r"^check:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    plain = [line for line in recipe.splitlines() if "paraspec check" in line
             and not re.search(r"--(all-mutants|mutant|preset|set|reading|property|simulate|symmetry|max-)", line)]
    assert len(plain) == 1 and "--manifest tests/manifest.toml" in plain[0], recipe


def test_a_symmetry_pin_matches_only_a_reduced_run():
    """A pin with ``symmetry = true`` is compared with ``--symmetry`` runs only, a plain pin with full runs."""
    from paraspec.checker.manifest import reduced

    sym = [p for p in PINS if p.symmetry]
    assert any(p.id == "availability@tiny+symmetry" for p in sym)
    m = build("availability", "trio")
    full = Checker(m).with_properties(properties_of("availability")).with_max_depth(1).run()
    red = Checker(m).with_properties(properties_of("availability")).with_max_depth(1).with_symmetry().run()
    assert (reduced(full), reduced(red)) == (False, True)
    for pin in PINS:
        if pin.machine == "availability" and pin.preset == "trio":
            assert pin.matches(red) == pin.symmetry and pin.matches(full) == (not pin.symmetry)


# -- the option itself: a run that differs from its pin fails, one line naming the pin ---------------------

_CONFIGURATION = """
[[pin]]
machine = "configuration"
preset = "tiny"
states = {states}
transitions = 4118
depth = 8
rejects = ["CFG-1", "CFG-2", "CFG-3", "CFG-6"]
"""


def test_the_manifest_option_passes_on_a_true_pin_and_fails_on_a_wrong_one(tmp_path, capsys):
    from paraspec.checker.cli import main

    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(_CONFIGURATION.format(states=301))
    bad.write_text(_CONFIGURATION.format(states=302) + 'exceptions = { pending_is_consistent = "vacuous" }\n')
    assert main(["check", "configuration", "--manifest", str(good)]) == 0
    assert "1 of 1 run(s) match a pin, all as pinned" in capsys.readouterr().out
    assert main(["check", "configuration", "--manifest", str(bad), "-q"]) == 1
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    assert out.startswith(f"manifest {bad}: configuration@tiny: states 301 (pinned 302); pending_is_consistent holds "
                          "(pinned vacuous)"), out
    # a run with other parameters matches no pin: nothing is compared
    assert main(["check", "configuration", "--set", "max_code_size=4", "--manifest", str(bad), "-q"]) == 0
    # an incomplete search of a pinned configuration is no match for its pin
    assert main(["check", "configuration", "--max-depth", "2", "--manifest", str(good), "-q"]) == 1
    assert "the search is incomplete (stopped: max_depth)" in capsys.readouterr().out


@pytest.mark.parametrize("text,message", [
    ("[[pin]]\nmachine = 'configuration'\n", "pin 1 (configuration): field 'preset' is missing"),
    (_CONFIGURATION.format(states=301) + "colour = 1\n", "pin 1 (configuration): unknown field 'colour'"),
    (_CONFIGURATION.format(states="'many'"), "field 'states' must be a non-negative integer"),
    (_CONFIGURATION.format(states=301).replace('"configuration"', '"nope"'), "pin 1 (nope): "),
    (_CONFIGURATION.format(states=301).replace('"tiny"', '"huge"'), "--preset huge"),
    (_CONFIGURATION.format(states=301) + "set = { no_such_field = 1 }\n", "no_such_field"),
    (_CONFIGURATION.format(states=301) + "exceptions = { nope = 'holds' }\n", "configuration has no property 'nope'"),
    ("[[pin]\n", "not a TOML file"),
    (_CONFIGURATION.format(states=301) + "symmetry = true\n", "field 'symmetry': configuration declares no symmetry"),
    (_CONFIGURATION.format(states=301) + "symmetry = 1\n", "field 'symmetry' must be a boolean"),
])
def test_a_bad_manifest_is_one_line(tmp_path, capsys, text, message):
    from paraspec.checker.cli import main

    path = tmp_path / "m.toml"
    path.write_text(text)
    assert main(["check", "configuration", "--manifest", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and message in err, err
