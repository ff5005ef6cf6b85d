"""Specs outside the package: the tutorial's toy protocol, in a folder outside the repository, is
checked, mutated, proved, run, turned into vectors and replayed through an installed entry point
(a distribution's metadata in a temporary site folder) as through ``--load``; bad specs are one line
and exit 2; prove shows a counterexample to induction until an auxiliary invariant is declared."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.test_authors_doc import BLOCK, ROOT

PARASPEC = str(Path(sys.executable).parent / "paraspec")


def doc_files() -> dict[str, str]:
    """The files of docs/authors.md as the tutorial leaves them."""
    files: dict[str, str] = {}
    for op, name, _lang, body in BLOCK.findall((ROOT / "docs" / "authors.md").read_text()):
        if op == "file":
            files[name] = body
        elif op == "append":
            files[name] += body
    return files


def paraspec(cwd: Path, *args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PARASPEC_PATH", "PYTHONPATH")}
    env["COLUMNS"] = "200"
    env.update(env_extra or {})
    return subprocess.run([PARASPEC, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def write(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (folder / name).write_text(body)


def test_every_command_through_an_installed_entry_point(tmp_path):
    site = tmp_path / "site"
    write(site, {k: v for k, v in doc_files().items() if k.endswith(".py")})
    dist = site / "channel_spec-0.1.dist-info"
    write(dist, {"METADATA": "Metadata-Version: 2.1\nName: channel-spec\nVersion: 0.1\n",
                 "entry_points.txt": "[paraspec.machines]\nchannel = channel_props\nlemmas = channel_lemmas\n"})
    work = tmp_path / "work"
    write(work, {"send_deliver.json": doc_files()["send_deliver.json"]})
    assert not str(work).startswith(str(ROOT))
    env = {"PYTHONPATH": str(site)}

    def ok(*args, code=0):
        p = paraspec(work, *args, env_extra=env)
        assert p.returncode == code, (args, p.stdout[-3000:], p.stderr[-2000:])
        return p.stdout

    assert "killed" not in ok("check", "channel")
    assert "2/2 mutants killed" in ok("check", "channel", "--all-mutants")
    assert "proved (k=1) with in_flight_balance" in ok("prove", "channel", "two_quorums_intersect")
    assert "send_deliver: ok" in ok("run", "send_deliver.json")
    ok("vectors", "generate", "--machine", "channel", "--preset", "small", "--out", "vec", "-q")
    assert (work / "vec" / "small" / "channel" / "config.json").exists()
    out = ok("check", "--mutant", "lose_message", "--trace-dir", "tr", code=1)
    assert "mutant lose_message: killed by in_flight_balance in 2 steps" in out
    assert "every state matches" in ok("trace", "replay", "tr/channel.lose_message.in_flight_balance."
                                                          "counterexample.itf.json")
    # without the entry point, the machine is unknown: the registry found it through the metadata
    p = paraspec(work, "check", "channel")
    assert p.returncode == 2 and "unknown machine 'channel'" in p.stderr


def test_a_bad_spec_is_one_line_and_exit_2(tmp_path):
    write(tmp_path, {"broken.py": "import attrs\n\nx = 1 +\n", "raises.py": "raise RuntimeError('no')\n"})
    for entry, needle in (("broken.py", "SyntaxError"), ("raises.py", "raises.py:1"),
                          ("missing.py", "no such file"), ("no_such_module_xyz", "ModuleNotFoundError")):
        p = paraspec(tmp_path, "--load", entry, "list")
        assert p.returncode == 2, (entry, p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1 and needle in p.stderr, (entry, p.stderr)
    p = paraspec(tmp_path, "list", env_extra={"PARASPEC_PATH": str(tmp_path / "raises.py")})
    assert p.returncode == 2 and "raises.py" in p.stderr


def _channel(tmp_path: Path, aux: bool) -> Path:
    files = doc_files()
    props = files["channel_props.py"]
    if not aux:
        props = props.replace(", aux=True)", ")")
    write(tmp_path, {"channel.py": files["channel.py"], "channel_props.py": props})
    return tmp_path


def test_prove_shows_a_counterexample_to_induction_until_an_aux_invariant_is_declared(tmp_path):
    # both invariants, neither declared auxiliary, proving one of them: a counterexample to induction
    work = _channel(tmp_path / "plain", aux=False)
    p = paraspec(work, "--load", ".", "prove", "channel", "--property", "delivered_le_sent", "--trace-dir", "cti")
    assert p.returncode == 1, p.stderr
    assert "channel.delivered_le_sent is not inductive" in p.stdout
    states = re.findall(r"^  state (\d+)", p.stdout, flags=re.M)
    assert states[:5] == ["0", "1", "2", "3", "4"], p.stdout  # the k+1 states (k=4)
    assert (work / "cti" / "channel.delivered_le_sent.cti.itf.json").exists()
    # declared aux=True beside it: proved, and the verdict names it
    work = _channel(tmp_path / "aux", aux=True)
    p = paraspec(work, "--load", ".", "prove", "channel", "--property", "delivered_le_sent")
    assert p.returncode == 0, p.stdout[-3000:]
    assert re.search(r"channel\.delivered_le_sent .* proved \(k=1\) with in_flight_balance", p.stdout)


def test_property_selection_and_property_errors(tmp_path):
    work = _channel(tmp_path, aux=True)
    (work / "raising.py").write_text(
        "from paraspec import always\n\n\n@always('channel', rules=['CH-1'])\n"
        "def broken(m, s):\n    '''raises once something was sent'''\n    return 1 / (1 - s.sent) < 10\n")
    p = paraspec(work, "--load", ".", "check", "channel", "--property", "nope*")
    assert p.returncode == 2 and "--property nope*" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    p = paraspec(work, "--load", ".", "check", "channel")
    assert p.returncode == 1
    assert "property error in channel.broken: ZeroDivisionError" in p.stdout and "raising.py:7" in p.stdout
    assert "holds (bounded: None)" not in p.stdout and "not refuted before the error" in p.stdout
    p = paraspec(work, "--load", ".", "check", "channel", "--workers", "2", "--preset", "big")
    assert p.returncode == 1 and "property error in channel.broken: ZeroDivisionError" in p.stdout
    p = paraspec(work, "--load", ".", "check", "channel", "--property", "channel.delivered_*")
    assert p.returncode == 0 and "broken" not in p.stdout and "in_flight_balance" not in p.stdout
    p = paraspec(work, "--load", ".", "prove", "channel", "--property", "broken", "--json", "p.json")
    assert p.returncode == 1
    (item,) = [i for i in json.loads((work / "p.json").read_text())["items"] if i["name"] == "channel.broken"]
    reason = item["verdict"]["reason"]
    assert "broken raises on a state of the symbolic domain (`/` on a symbolic value)" in reason
    assert "raising.py:7" in reason


def test_a_refuted_lemma_names_the_failing_conjunct_and_values(tmp_path):
    lemma = doc_files()["channel_lemmas.py"].replace("q <= n)", "q <= n - 1)")
    write(tmp_path, {"lemmas.py": lemma})
    p = paraspec(tmp_path, "--load", "lemmas.py", "prove", "two_quorums_intersect", "--json", "p.json")
    assert p.returncode == 1, p.stderr
    (item,) = json.loads((tmp_path / "p.json").read_text())["items"]
    assert item["verdict"]["status"] == "counterexample"
    assert item["verdict"]["failed"] == "quorums intersect and fit: n/2 + 1 <= n - 1 fails"
    assert item["verdict"]["assignment"] == {"n": 1}
    assert item["rules"] == ["CH-3"]


def test_prove_on_a_preset_too_large_for_the_encoding_is_unknown_not_a_traceback(tmp_path):
    p = paraspec(tmp_path, "prove", "availability", "--preset", "polkadot", "--timeout", "60", "--json", "p.json")
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr[-2000:]
    items = json.loads((tmp_path / "p.json").read_text())["items"]
    assert items and all(i["verdict"]["status"] == "unknown" for i in items)
    assert "does not fit the" in items[0]["verdict"]["reason"]


def test_load_by_module_name_and_by_package_folder(tmp_path):
    work = _channel(tmp_path / "flat", aux=True)
    p = paraspec(work, "--load", "channel_props", "check", "channel", "-q")  # a module found from the cwd
    assert p.returncode == 0, p.stderr
    pkg = tmp_path / "pkgs" / "chanpkg"
    files = doc_files()
    write(pkg, {"__init__.py": "", "channel.py": files["channel.py"],
                "props.py": files["channel_props.py"].replace("from channel import", "from chanpkg.channel import")})
    p = paraspec(tmp_path, "--load", str(pkg), "check", "channel", "--all-mutants", "-q")  # a package: every module
    assert p.returncode == 0, p.stderr
