"""Known crash classes of issue 17, in one place, each with minimal reproducers.

A fuzz test that hits only crashes listed in ``KNOWN`` ends as xfail (non-strict), naming the classes it
hit; a crash not listed fails the test. Every class found by issue 17 is fixed, so ``KNOWN`` is empty: any
crash or hang fails. ``sig`` is a regular expression matched against the crash
signature: ``Type@file:line`` (the innermost frame inside paraspec, see ``harness.crash_site``), ``Hang``,
``exit 2 with N-line stderr``, or ``protocol: ...``; ``channels`` limits a class to some channels
(empty: any). As the fixes of issue 17 land, classes stop being hit (their tests pass): delete them here.

``REPRODUCERS`` are the defects of issue 17 as regression inputs (``test_fuzz_regressions.py`` runs
each through the real entry point): ``(class, id, build, slow)`` where ``build(tmp)`` writes the files it
needs under ``tmp`` and returns ``(argv, stdin bytes or None)``; ``class`` names the defect it reproduces.
A reproducer that breaks the contract xfails when the break matches a class still in ``KNOWN``, and fails
otherwise; ``slow`` ones (a hang costs the 60 s guard) run only under ``PARASPEC_FUZZ=full``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

#: class -> (channels, kind, signature regex, issue-17 defect): the crash classes still open (none)
KNOWN: dict[str, tuple[tuple[str, ...], str, str, str]] = {}

#: class -> the issue-17 defect it was: fixed, no fuzz input hits it, its reproducers below must pass
FIXED: dict[str, str] = {
    "prove": "1: prove crashes on valid input",
    "polkadot-hang": "2: the polkadot preset enumerates 2^100 bitfields (the limits now hold inside one state's "
                     "expansion; simulation draws from the machine's action Space)",
    "checkpoint": "3: a corrupt, truncated or empty checkpoint",
    "encoding": "4: a non-UTF-8 byte in a trace, case, config.json or on the adapter's stdin",
    "size": "4: a number over 4,300 digits, 100k-deep nesting, unbounded sizes",
    "size-hang": "4: scenario sizes are unbounded (\"repeat\": 10**12 never ends)",
    "untrusted-trace": "5: trace show/replay trust the file (wrong-typed #meta, nondetPicks, args, states)",
    "markup": "6: data printed as Rich markup",
    "output-path": "7: a path that cannot be written or read (a name over 255 bytes, under a file, in /proc), "
                   "found late (last: --resume and vectors run SUITE with a name over 255 bytes; trace show/replay with "
                   "one)",
    "junit-id": "8: a case id that is not a string (with --junit)",
    "two-line-error": "8: a newline in a file name or argument makes the one-line error two",
}


def match(channel: str, kind: str, sig: str, outcome=None) -> str | None:
    for name, (channels, k, pattern, _defect) in KNOWN.items():
        if k == kind and (not channels or channel in channels) and re.search(pattern, sig):
            return name
    return None


def is_class(cls: str, kind: str, sig: str) -> bool:
    """The break (kind, sig) of a reproducer is one of class ``cls`` (whatever the channel); never
    for a class no longer listed (fixed: its reproducers must pass)."""
    if cls not in KNOWN:
        return False
    _channels, k, pattern, _defect = KNOWN[cls]
    return k == kind and re.search(pattern, sig) is not None


# ---- reproducers ---------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def _trace(tmp: Path, mutate, name: str = "t.itf.json", raw: bytes | None = None) -> str:
    """A small valid paraspec trace (made by the tool on first use), mutated."""
    base = tmp / "_seed"
    if not base.exists():
        from paraspec.checker.cli import main

        main(["check", "availability", "--mutant", "av_no_signature_check", "--trace-dir", str(base), "--quiet"])
    doc = json.loads(next(base.glob("*.itf.json")).read_text())
    p = tmp / name
    p.write_bytes(raw if raw is not None else json.dumps(mutate(doc) or doc).encode())
    return str(p)


def _set(path: list, value):
    def mutate(doc):
        d = doc
        for k in path[:-1]:
            d = d[k]
        d[path[-1]] = value
        return doc
    return mutate


def _scenario(tmp: Path, name: str, mutate) -> str:
    doc = json.loads((ROOT / "checker" / "scenarios" / name).read_text())
    mutate(doc)
    p = tmp / "s.json"
    p.write_text(json.dumps(doc))
    return str(p)


def _suite(tmp: Path, mutate=None, raw: bytes | None = None) -> str:
    """A suite of one real case (configuration, tiny), its case file mutated or replaced by ``raw``."""
    from paraspec.checker.vectors.generate import Options, generate

    root = tmp / "suite"
    generate(root, Options(machines=("configuration",), presets=("tiny",), max_states=20, per_shape=1))
    cases = sorted(root.glob("*/*/*/*.json"))
    for extra in cases[1:]:
        extra.unlink()
    if raw is not None:
        cases[0].write_bytes(raw)
    elif mutate is not None:
        cases[0].write_text(json.dumps(mutate(json.loads(cases[0].read_text()))))
    (tmp / "a.sh").write_text('while IFS= read -r l; do echo \'{"error":"x"}\'; done\n')
    return str(root)


def _echo(tmp: Path, line: str) -> str:
    (tmp / "resp").write_text(line + "\n")
    (tmp / "r.sh").write_text(f'while IFS= read -r l; do cat "{tmp}/resp"; done\n')
    return f"sh {tmp}/r.sh"


def _case_field(key, value):
    def mutate(c):
        c[key] = value
        return c
    return mutate


def _first_request(tmp: Path) -> dict:
    from paraspec.checker.vectors.suite import load_suite

    return load_suite(_suite(tmp))[0].request()


def _halts_picks(doc):
    return doc


REPRODUCERS: list[tuple[str, str, object, bool]] = [
    # 1. prove
    ("prove", "prove-halts", lambda t: (["prove", "halts", "--timeout", "20"], None), False),
    ("prove", "prove-mutant-par_no_last_pruned", lambda t: (["prove", "--mutant", "par_no_last_pruned", "--timeout", "20"], None), False),
    ("prove", "prove-timeout-1e308", lambda t: (["prove", "availability", "--timeout", "1e308", "--depth", "1"], None), False),
    # 2. the polkadot preset
    ("polkadot-hang", "check-polkadot", lambda t: (["check", "availability", "--preset", "polkadot", "--time-limit", "2",
                                                    "--max-states", "10", "--quiet"], None), False),
    ("polkadot-hang", "simulate-polkadot", lambda t: (["check", "availability", "--preset", "polkadot", "--simulate",
                                                       "--steps", "10", "--quiet"], None), False),
    ("polkadot-hang", "check-polkadot-inclusion", lambda t: (["check", "inclusion", "--preset", "polkadot", "--time-limit",
                                                              "2", "--quiet"], None), False),
    ("polkadot-hang", "simulate-polkadot-inclusion", lambda t: (["check", "inclusion", "--preset", "polkadot", "--simulate",
                                                                 "--steps", "10", "--quiet"], None), False),
    # 3. checkpoints
    ("checkpoint", "resume-empty-checkpoint", lambda t: (
        (t / "ck" / "availability").mkdir(parents=True) or (t / "ck" / "availability" / "search.pickle").write_bytes(b"") and None
        or ["check", "availability", "--resume", str(t / "ck"), "--quiet", "--max-states", "200"], None), False),
    ("checkpoint", "resume-garbage-checkpoint", lambda t: (
        (t / "ck" / "availability").mkdir(parents=True) or (t / "ck" / "availability" / "search.pickle").write_bytes(b"\x80\x05garbage") and None
        or ["check", "availability", "--resume", str(t / "ck"), "--quiet", "--max-states", "200"], None), False),
    # 4. encodings and sizes
    ("encoding", "trace-non-utf8", lambda t: (["trace", "show", _trace(t, None, raw=b'\xff{"vars":[]}')], None), False),
    ("encoding", "case-non-utf8", lambda t: (["vectors", "run", _suite(t, raw=b"\xff{}"), "--adapter", f"sh {t}/a.sh"], None), False),
    ("encoding", "adapter-stdin-non-utf8", lambda t: (["adapter"], b'\xff{"id":"x"}\n'), False),
    ("size", "trace-5000-digit-bigint", lambda t: (["trace", "show", _trace(t, _set(["states", 0, "paras", 0, "votes"],
                                                                                   {"#bigint": "9" * 5000}))], None), False),
    ("size", "trace-deep-nesting", lambda t: (["trace", "show", _trace(t, None, raw=b"[" * 100_000 + b"]" * 100_000)], None), False),
    ("size", "case-deep-nesting", lambda t: (["vectors", "run", _suite(t, raw=b"[" * 100_000 + b"]" * 100_000),
                                              "--adapter", f"sh {t}/a.sh"], None), False),
    ("size", "adapter-response-5000-digits", lambda t: (["vectors", "run", _suite(t), "--adapter",
                                                         _echo(t, '{"output":' + "9" * 5000 + ',"post_state":1}')], None), False),
    ("size", "adapter-response-deep", lambda t: (["vectors", "run", _suite(t), "--adapter",
                                                  _echo(t, "[" * 100_000 + "]" * 100_000)], None), False),
    ("size", "runtime-validators-2**64", lambda t: (["run", _scenario(t, "runtime/tiny_parathread.json",
                                                                      lambda d: d["genesis"].update(validators=2**64))], None), False),
    ("size", "runtime-bits-10**100", lambda t: (["run", _scenario(t, "runtime/tiny_parathread.json",
                                                                  lambda d: d["blocks"][5]["bitfields"][0].update(bits=[10**100]))], None), False),
    ("size-hang", "scenario-repeat-10**12", lambda t: (["run", _scenario(t, "halts_E.json",
                                                                    lambda d: d["steps"][1].update(repeat=10**12))], None), False),
    # 5. untrusted traces
    ("untrusted-trace", "trace-meta-machine-not-a-string", lambda t: (["trace", "show", _trace(t, _set(["#meta", "machine"], 5))], None), False),
    ("untrusted-trace", "trace-replay-meta-machine-list", lambda t: (["trace", "replay", _trace(t, _set(["#meta", "machine"], ["x"]))], None), False),
    ("untrusted-trace", "trace-states-empty", lambda t: (["trace", "replay", _trace(t, _set(["states"], []))], None), False),
    ("untrusted-trace", "trace-nondetpicks-wrong-type", lambda t: (["trace", "replay", _trace(
        t, lambda d: [s.__setitem__("mbt::nondetPicks", 7) for s in d["states"]] and d)], None), False),
    # 6. markup
    ("markup", "trace-description-markup", lambda t: (["trace", "show", _trace(t, _set(["#meta", "description"], "[/x]"))], None), False),
    ("markup", "adapter-error-markup", lambda t: (["vectors", "run", _suite(t), "--adapter", _echo(t, '{"error":"[/x]"}'),
                                                   "--verbose"], None), False),
    ("markup", "case-id-markup", lambda t: (["vectors", "run", _suite(t, _case_field("description", "[/x]")), "--adapter",
                                             _echo(t, '{"error":"x"}')], None), False),
    # 7. output paths
    ("output-path", "trace-dir-under-a-file", lambda t: ((t / "afile").write_text("x") and None or
                                                         ["check", "availability", "--mutant", "av_no_signature_check", "--quiet",
                                                          "--trace-dir", str(t / "afile" / "sub"), "--json", str(t / "r.json")], None), False),
    ("output-path", "json-name-over-255-bytes", lambda t: (["check", "configuration", "--quiet", "--max-states", "50",
                                                            "--json", str(t / ("n" * 300))], None), False),
    ("output-path", "checkpoint-under-a-file", lambda t: ((t / "afile").write_text("x") and None or
                                                          ["check", "configuration", "--quiet", "--max-states", "50",
                                                           "--checkpoint-every", "0.001", "--checkpoint",
                                                           str(t / "afile" / "ck")], None), False),
    ("output-path", "resume-name-over-255-bytes", lambda t: (["check", "configuration", "--quiet", "--max-states", "50",
                                                              "--resume", str(t / ("n" * 300))], None), False),
    ("output-path", "vectors-run-suite-name-over-255-bytes", lambda t: (["vectors", "run", "9" * 5000, "--adapter",
                                                                         "true"], None), False),
    # 8. the adapter runner
    ("junit-id", "case-id-not-a-string-junit", lambda t: (["vectors", "run", _suite(t, _case_field("id", 5)), "--adapter",
                                                           _echo(t, '{"error":"x"}'), "--junit", str(t / "r.xml")], None), False),
    ("two-line-error", "newline-in-file-name", lambda t: (["trace", "show", str(t / "a\nb.itf.json")], None), False),
    ("two-line-error", "newline-in-argument", lambda t: (["check", "--preset", "a\nb"], None), False),
]
