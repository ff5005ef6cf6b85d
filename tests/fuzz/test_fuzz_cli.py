"""Channel 1: the arguments of every subcommand, through ``paraspec.checker.cli.main``.

Arguments are drawn from each subcommand's real options, with valid and hostile values (numbers out
of range, 5,000-digit numbers, markup, newlines, undecodable bytes as argv carries them, paths that
cannot be written). Every run is bounded: cheap limits are appended last (argparse keeps the last
value), the ``polkadot`` preset is not drawn (its runs stop at the limits now, see ``test_space.py`` and
the polkadot reproducers of ``known.py``, but each costs the whole time limit, and ``vectors generate``
there far more), and neither are the options that run every mutant, nor ``vectors schemas`` (about 10 s of
CPU whatever its arguments: once it passed the 60 s guard on a loaded machine).
"""

from __future__ import annotations

import io
import os
import tempfile

from hypothesis import given
from hypothesis import strategies as st

from .harness import fuzz_settings, judge, known_collector, run_cli
from .strategies import hostile_arg

MACHINES = ["availability", "configuration", "halts", "poa", "rescue", "overseer", "paras", "backing"]
PRESETS = ["tiny", "trio"]
MUTANTS = ["av_no_signature_check", "par_no_last_pruned", "hlt_divergence_needs_three_roots", "nosuch"]
NUMS = ["1", "2", "5", "0", "-3", "1e308", "lots", "9" * 5000, "nan"]


def _paths(tmp: str) -> list[str]:
    return [f"{tmp}/r.json", f"{tmp}/afile/sub", f"{tmp}/afile", f"{tmp}/dir", f"{tmp}/nosuch/x.json",
            f"{tmp}/" + "n" * 300, f"{tmp}/a\nb.json", f"{tmp}/[/x].json", "/proc/self/nope", "/", ""]


def _setup(tmp: str) -> None:
    with open(f"{tmp}/afile", "w") as f:
        f.write("x")
    os.mkdir(f"{tmp}/dir")


# option -> kind of value ("flag", "num", "path", "machine", "preset", "mutant", "set", "engine", "text")
OPTIONS = {
    "check": {"--max-depth": "num", "--max-states": "num", "--time-limit": "num", "--mutant": "mutant",
              "--continue": "flag", "--simulate": "flag", "--seed": "num", "--steps": "num", "--walk-depth": "num",
              "--symmetry": "flag", "--workers": "workers", "--engine": "engine", "--checkpoint": "path",
              "--checkpoint-every": "num", "--resume": "path", "--json": "path", "--junit": "path",
              "--trace-dir": "path", "--quiet": "flag", "--preset": "preset", "--set": "set", "--manifest": "path"},
    "prove": {"--depth": "num", "--timeout": "num", "--mutant": "mutant", "--no-strengthening": "flag",
              "--crosscheck": "num", "--json": "path", "--junit": "path", "--trace-dir": "path", "--quiet": "flag",
              "--preset": "preset", "--set": "set"},
    "run": {"--json": "flag", "--timing": "flag", "--no-state": "flag", "--compact": "flag", "--quiet": "flag"},
    "trace show": {"--full": "flag", "--html": "path"},
    "trace replay": {},
    "list": {"--json": "flag", "--machine": "machine", "--kind": "text"},
    "graph": {"--project": "text", "--format": "text", "--out": "path", "--preset": "preset", "--set": "set"},
    "report": {"--github": "flag"},
    "adapter": {"--mutant": "mutant"},
    "vectors run": {"--adapter": "adapter", "--machine": "machine", "--handler": "text", "--preset": "preset",
                    "--timeout": "num", "--max-crashes": "num", "--exitfirst": "flag", "--allow-unsupported": "flag",
                    "--json": "path", "--junit": "path", "--verbose": "flag", "--quiet": "flag"},
    "vectors generate": {"--out": "path", "--preset": "preset", "--machine": "machine", "--quiet": "flag"},
}
POSITIONAL = {"check": "machine", "prove": "machine", "graph": "machine", "report": "path", "run": "scenario", "trace show": "trace",
              "trace replay": "trace", "vectors run": "suite"}
#: appended last so that every run stays cheap whatever was drawn before
BOUNDS = {
    "check": ["--max-states", "100", "--time-limit", "10", "--steps", "200", "--walk-depth", "20",
              "--checkpoint-every", "5"],
    "prove": ["--timeout", "5", "--depth", "2"],
    "graph": ["--max-states", "100"],
    "vectors run": ["--timeout", "30"],
    "vectors generate": ["--max-states", "30", "--per-shape", "1", "--machine", "configuration"],
}


def _value(draw, kind: str, ctx: dict) -> str:
    tmp = ctx["tmp"]
    valid = {
        "num": NUMS, "path": _paths(tmp), "machine": MACHINES + ["nosuch", "[/x]"], "preset": PRESETS + ["huge"],
        "mutant": MUTANTS, "engine": ["auto", "explicit", "vector", "x"], "workers": ["1", "2", "0"],
        "set": ["n_validators=3", "n_validators=1", "committee=3", "max_candidates=2", "x=1", "noeq"],
        "adapter": [ctx["adapter"], "", "nosuchcommand-xyz", "'unclosed", "/"],
        "scenario": ctx["scenarios"] + [f"{tmp}/afile", f"{tmp}/dir", f"{tmp}/nosuch.json"],
        "trace": ctx["traces"] + [f"{tmp}/afile", f"{tmp}/dir", f"{tmp}/nosuch.itf.json", "/dev/null"],
        "suite": [ctx["suite"], ctx["suite"], f"{tmp}/afile", f"{tmp}/dir", f"{tmp}/nosuch"],
        "text": ["*", "configuration/*", "[/x]", ""],
    }[kind]
    if draw(st.integers(0, 3)):
        return draw(st.sampled_from(valid))
    return draw(hostile_arg(valid))


@st.composite
def argvs(draw, ctx: dict) -> list[str]:
    cmd = draw(st.sampled_from(sorted(OPTIONS)))
    argv = cmd.split()
    opts = OPTIONS[cmd]
    pos = POSITIONAL.get(cmd)
    if pos and (draw(st.integers(0, 4)) or cmd in ("prove", "trace show", "trace replay", "vectors run")):
        argv.append(_value(draw, pos, ctx))
    for opt in draw(st.lists(st.sampled_from(sorted(opts)), max_size=4)) if opts else []:
        argv.append(opt)
        if opts[opt] != "flag":
            argv.append(_value(draw, opts[opt], ctx))
    if cmd == "vectors run" and "--adapter" not in argv:
        argv += ["--adapter", ctx["adapter"]]
    if cmd == "vectors generate" and "--out" not in argv:
        argv += ["--out", f"{ctx['tmp']}/gen"]
    if draw(st.integers(0, 9)) == 0:  # an unknown option or a stray argument somewhere
        argv.insert(draw(st.integers(0, len(argv))), draw(hostile_arg(["--nosuch", "-z", "extra"])))
    return argv + BOUNDS.get(cmd, [])


def test_fuzz_cli_arguments(seeds):
    traces = []
    with tempfile.TemporaryDirectory() as seeddir:
        import json

        for i, t in enumerate(seeds.traces[:2]):
            p = f"{seeddir}/t{i}.itf.json"
            with open(p, "w") as f:
                json.dump(t, f)
            traces.append(p)
        from .conftest import SCENARIOS

        scen = [str(p) for p in sorted(SCENARIOS.glob("*.json"))[:4]] + [str(SCENARIOS / "runtime/tiny_upgrade.json")]
        ctx_base = {"traces": traces, "scenarios": scen, "suite": str(seeds.suite),
                    "adapter": f"sh {seeds.root}/echo_adapter.sh"}
        with open(f"{seeds.root}/echo_adapter.sh", "w") as f:
            f.write('while IFS= read -r line; do echo \'{"error":"fuzz"}\'; done\n')

        @fuzz_settings(40, 2000)
        @given(st.data())
        def one(data):
            with tempfile.TemporaryDirectory() as tmp:
                _setup(tmp)
                argv = data.draw(argvs(dict(ctx_base, tmp=tmp)), label="argv")
                stdin = io.StringIO('{"handler":"x"}\n' if argv[0] == "adapter" else "")
                judge("cli", run_cli(argv, stdin), f"paraspec {argv!r}")

        with known_collector():
            one()
