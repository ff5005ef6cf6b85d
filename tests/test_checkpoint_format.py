"""The checkpoint file: data only, versioned, checksummed; every bad file is one line and exit 2.

Issue 17, defect 3: an empty, truncated or corrupt checkpoint gave a traceback, and a
checkpoint was a pickle, so a checkpoint directory could run code when resumed."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paraspec.checker import checkpoint
from paraspec.checker.checkpoint import FILE, FORMAT_VERSION, LEGACY_FILE, MAGIC, form_decoder
from paraspec.checker.cli import main
from paraspec.checker.explicit import Checker, _Search
from paraspec.checker.explore import Exploration, Visitor
from paraspec.checker.fingerprint import canonical, fingerprint
from paraspec.checker.registry import build, load_all, machine_names, properties_of
from paraspec.checker.results import CheckpointMismatch

CLI = ["check", "availability", "--preset", "trio", "--engine", "explicit", "--max-depth", "3", "-q"]


def _checker():
    m = build("availability", "trio")
    return Checker(m).with_properties(properties_of("availability")).with_engine("explicit").with_max_depth(3)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> bytes:
    """A checkpoint of ``availability`` (trio), stopped below depth 3 (frontier states saved)."""
    d = tmp_path_factory.mktemp("saved") / "availability"
    r = _checker().with_checkpoint(str(d)).run()
    assert r.stopped == "max_depth"
    return (d / FILE).read_bytes()


def install(root: Path, blob: bytes, name: str = FILE, sub: str = "availability") -> Path:
    (root / sub).mkdir(parents=True, exist_ok=True)
    path = root / sub / name
    path.write_bytes(blob)
    return path


def one_line(capsys, path: Path, *fragments: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert str(path) in err, err
    for f in fragments:
        assert f in err, err
    return err


# -- the parts of a file, to forge one with a valid checksum -------------------------------------------

def split(blob: bytes) -> tuple[dict, dict[str, bytes]]:
    version, hlen = struct.unpack_from("<IQ", blob, len(MAGIC))
    start = len(MAGIC) + 12
    header = json.loads(blob[start:start + hlen])
    payload = blob[start + hlen:-32]
    parts, off = {}, 0
    for spec in header["sections"]:
        parts[spec["name"]] = payload[off:off + spec["bytes"]]
        off += spec["bytes"]
    return header, parts


def forge(header, parts: dict[str, bytes] | list[bytes] | None = None, version: int = FORMAT_VERSION,
          sizes: bool = True) -> bytes:
    """A file of this header and these sections (by name, or in order), with a valid checksum."""
    parts = parts or []
    blobs = [parts[spec["name"]] for spec in header["sections"]] if isinstance(parts, dict) else parts
    if sizes and isinstance(header, dict):
        for spec, b in zip(header["sections"], blobs):
            spec["bytes"] = len(b)
    hb = header if isinstance(header, bytes) else json.dumps(header).encode()
    body = MAGIC + struct.pack("<IQ", version, len(hb)) + hb + b"".join(blobs)
    return body + hashlib.sha256(body).digest()


def with_state_lines(blob: bytes, edit) -> bytes:
    header, parts = split(blob)
    states = [json.dumps(form).encode() for line in zlib.decompress(parts["frontier_states"]).split(b"\n")[:-1]
              for form in json.loads(line)]
    lines = edit(states)
    text = b"[" + b",".join(lines) + b"]\n"
    parts["frontier_states"] = zlib.compress(text)
    spec = next(s for s in header["sections"] if s["name"] == "frontier_states")
    spec["raw"], spec["count"] = len(text), len(lines)
    return forge(header, parts)


# -- a valid checkpoint resumes; a bad one is one line and exit 2 ----------------------------------------

def test_a_valid_checkpoint_resumes(tmp_path, saved, capsys):
    install(tmp_path, saved)
    assert main([*CLI, "--resume", str(tmp_path)]) == 1  # incomplete (max depth): not every witness found
    assert capsys.readouterr().err == ""


def _flip(blob: bytes, at: int) -> bytes:
    return blob[:at] + bytes([blob[at] ^ 0x40]) + blob[at + 1:]


BAD_FILES = {
    "empty": (lambda b: b"", "empty"),
    "truncated in the signature": (lambda b: b[:7], "truncated"),
    "truncated before the checksum": (lambda b: b[:len(MAGIC) + 20], "truncated"),
    "truncated at half": (lambda b: b[:len(b) // 2], "checksum mismatch"),
    "last byte missing": (lambda b: b[:-1], "checksum mismatch"),
    "garbage": (lambda b: b"\x00\xffnot a checkpoint at all\n" * 40, "not a paraspec checkpoint"),
    "a JSON file": (lambda b: b'{"format": "paraspec-checkpoint"}\n', "not a paraspec checkpoint"),
    "a pickle": (lambda b: pickle.dumps({"fps": [1, 2, 3]}), "a pickle"),
    "a flipped bit in the payload": (lambda b: _flip(b, len(b) * 2 // 3), "checksum mismatch"),
    "a flipped bit in the header": (lambda b: _flip(b, len(MAGIC) + 30), "checksum mismatch"),
    "a flipped bit in the checksum": (lambda b: _flip(b, len(b) - 1), "checksum mismatch"),
    "wrong version": (lambda b: forge(*split(b), version=FORMAT_VERSION + 98), f"version {FORMAT_VERSION + 98}"),
    "wrong version, old checksum": (
        lambda b: b[:len(MAGIC)] + struct.pack("<I", 7) + b[len(MAGIC) + 4:], "version 7"),
    "a header that is not JSON": (lambda b: forge(b"{not json"), "malformed checkpoint header"),
    "a header that is a list": (lambda b: forge(b"[1, 2]"), "malformed checkpoint header"),
    "a header that is not UTF-8": (lambda b: forge(b'{"a": "\xff"}'), "malformed checkpoint header"),
    "another format": (lambda b: forge({**split(b)[0], "format": "tla"}, split(b)[1]), "not a paraspec checkpoint"),
    "another paraspec": (lambda b: forge({**split(b)[0], "paraspec": "0.0.1"}, split(b)[1]), "paraspec 0.0.1"),
    "a section missing": (lambda b: forge({**split(b)[0], "sections": split(b)[0]["sections"][1:]},
                                          dict(list(split(b)[1].items())[1:])), "malformed checkpoint"),
    "a deeply nested state": (lambda b: with_state_lines(b, lambda ls: [b"[" * 100_000 + b"]" * 100_000] + ls[1:]),
                              "frontier state 0"),
    "a state that is not a state": (lambda b: with_state_lines(b, lambda ls: [b'{"a": 1}'] + ls[1:]),
                                    "frontier state 0"),
    "a state of another type": (lambda b: with_state_lines(b, lambda ls: [b'["Other", 1, 2]'] + ls[1:]),
                                "frontier state 0"),
    "two states swapped": (lambda b: with_state_lines(b, lambda ls: [ls[1], ls[0]] + ls[2:]),
                           "does not match its fingerprint"),
    "a state missing": (lambda b: with_state_lines(b, lambda ls: ls[1:]), "malformed checkpoint"),
    "a parent out of range": (lambda b: _with_parent(b, 10**9), "parent pointer is out of range"),
}


def _with_parent(blob: bytes, value: int) -> bytes:
    header, parts = split(blob)
    p = bytearray(parts["parent"])
    p[-8:] = struct.pack("<q", value)
    parts["parent"] = bytes(p)
    return forge(header, parts)


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_checkpoint_is_one_line_and_exit_2(tmp_path, saved, capsys, case):
    make, fragment = BAD_FILES[case]
    path = install(tmp_path, make(saved))
    assert main([*CLI, "--resume", str(tmp_path)]) == 2
    one_line(capsys, path, fragment)


def test_an_unreadable_checkpoint_is_one_line(tmp_path, saved, capsys):
    path = install(tmp_path, saved)
    path.unlink()
    path.mkdir()  # a directory where the file should be
    assert main([*CLI, "--resume", str(tmp_path)]) == 2
    one_line(capsys, path, "cannot read")


@pytest.fixture(scope="module")
def other_machine(tmp_path_factory) -> bytes:
    d = tmp_path_factory.mktemp("other") / "inclusion"
    m = build("inclusion", "tiny")
    Checker(m).with_properties(properties_of("inclusion")).with_engine("explicit").with_max_depth(2) \
        .with_checkpoint(str(d)).run()
    return (d / FILE).read_bytes()


def test_a_checkpoint_of_another_machine_is_refused(tmp_path, other_machine, capsys):
    path = install(tmp_path, other_machine)
    assert main([*CLI, "--resume", str(tmp_path)]) == 2
    one_line(capsys, path, "another check", "machine 'inclusion'")


@pytest.mark.parametrize("argv,sub,differs", [
    (["--set", "max_candidates=1"], "availability", "parameters"),
    (["--symmetry"], "availability", "symmetry"),
    (["--mutant", "av_threshold_ge", "--continue"], "availability.av_threshold_ge", "mutant"),
])
def test_a_checkpoint_of_other_parameters_or_options_is_refused(tmp_path, saved, capsys, argv, sub, differs):
    path = install(tmp_path, saved, sub=sub)
    assert main([*CLI, *argv, "--resume", str(tmp_path)]) == 2
    one_line(capsys, path, "another check", differs)


# -- no code runs from a checkpoint directory -----------------------------------------------------------

class _Payload:
    """Unpickling this creates the marker file (the attack a pickle checkpoint allowed)."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("name", [FILE, LEGACY_FILE])
def test_a_pickle_crafted_to_run_code_is_refused_and_never_unpickled(tmp_path, capsys, name):
    marker = tmp_path / "marker"
    root = tmp_path / "ck"
    path = install(root, pickle.dumps({"identity": _Payload(marker)}), name=name)
    assert not marker.exists()
    assert main([*CLI, "--resume", str(root)]) == 2
    one_line(capsys, path, "pickle")
    assert not marker.exists()


def test_the_checkpoint_module_does_not_use_pickle():
    src = Path(checkpoint.__file__).read_text()
    assert "import pickle" not in src and "marshal" not in src and "eval(" not in src


# -- writing ---------------------------------------------------------------------------------------------

def test_a_normal_run_leaves_only_the_checkpoint(tmp_path, capsys):
    stale = install(tmp_path, b"partial", name=f"{FILE}.4194999.tmp")  # of a process that is gone
    assert main([*CLI, "--checkpoint", str(tmp_path)]) == 1
    assert sorted(p.name for p in (tmp_path / "availability").iterdir()) == [FILE]
    assert not stale.exists()
    assert (tmp_path / "availability" / FILE).read_bytes().startswith(MAGIC)


def test_a_failed_write_leaves_no_temporary_and_keeps_the_previous_checkpoint(tmp_path, saved, monkeypatch):
    path = install(tmp_path, saved)

    def fail(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError):
        _checker().with_checkpoint(str(tmp_path / "availability")).run()
    assert sorted(p.name for p in path.parent.iterdir()) == [FILE]
    assert path.read_bytes() == saved


def test_the_checkpoint_file_is_smaller_than_the_states_it_holds(saved):
    header, parts = split(saved)
    states = sum(s.get("raw", 0) for s in header["sections"])
    assert len(parts["frontier_states"]) < states / 2  # compressed


# -- fuzzing the loader: any damage is refused; a forged file is read or refused, never a crash -------

def _load(tmp_path: Path, blob: bytes):
    d = tmp_path / "availability"
    shutil.rmtree(d, ignore_errors=True)
    install(tmp_path, blob)
    return _checker().with_resume(str(d)).run()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damage_is_refused(tmp_path, saved, data):
    blob = saved
    kind = data.draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
    at = data.draw(st.integers(0, len(blob) - 1))
    if kind == "flip":
        blob = blob[:at] + bytes([blob[at] ^ data.draw(st.integers(1, 255))]) + blob[at + 1:]
    elif kind == "cut":
        blob = blob[:at]
    elif kind == "insert":
        blob = blob[:at] + data.draw(st.binary(min_size=1, max_size=8)) + blob[at:]
    else:
        blob = blob[:at] + blob[at + data.draw(st.integers(1, 8)):]
    with pytest.raises(CheckpointMismatch):
        _load(tmp_path, blob)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 10**6) | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_forged_file_is_read_or_refused_never_a_crash(tmp_path, saved, data):
    header, parts = split(saved)
    blobs = [parts[spec["name"]] for spec in header["sections"]]
    target = data.draw(st.sampled_from(["search", "section", "payload"]))
    if target == "search":
        key = data.draw(st.sampled_from(sorted(header["search"])))
        header["search"][key] = data.draw(_JSON | st.integers(-1, 500))
    elif target == "section":
        spec = data.draw(st.sampled_from(header["sections"]))
        spec[data.draw(st.sampled_from(["name", "type", "count", "raw", "bytes"]))] = data.draw(_JSON)
    else:
        k = data.draw(st.integers(0, len(blobs) - 1))
        raw = bytearray(blobs[k])
        if raw:
            at = data.draw(st.integers(0, len(raw) - 1))
            raw[at] ^= data.draw(st.integers(1, 255))
        blobs[k] = bytes(raw)
    blob = forge(header, blobs, sizes=False)
    try:
        _load(tmp_path, blob)
    except CheckpointMismatch as e:
        assert "\n" not in str(e)


# -- the states of every machine survive the round trip --------------------------------------------------

class _First(Visitor):
    def __init__(self, m, cap):
        super().__init__(m)
        self.cap, self.states = cap, []

    def on_state(self, i, parent, succ):
        self.states.append(succ[4])

    def stop_state(self, ex):
        return "enough" if len(ex) >= self.cap else None


@pytest.mark.parametrize("name", (load_all(), machine_names())[1])
def test_the_states_of_every_machine_are_read_back_equal(name):
    m = build(name, None)
    v = _First(m, 150)
    Exploration().run(v)
    decode = form_decoder(type(v.states[0]))
    for s in v.states:
        back = decode(json.loads(json.dumps(canonical(s))))
        assert back == s and type(back) is type(s) and fingerprint(back) == fingerprint(s)


def test_the_checkpoint_holds_every_field_of_the_search():
    """A field added to the search or the exploration must be added to the checkpoint too."""
    s = _Search(_checker())
    s.fresh()
    fields = set(vars(s)) - {"c", "m", "props", "live", "x", "pool", "batches", "error", "machine", "ex"}
    assert fields == set(checkpoint.SEARCH_FIELDS)
    assert set(Exploration.FIELDS) == {"fps", "parent", "parent_act", "frontier", "pos", "nxt", "depth", "stopped",
                                       "started"}


def test_a_forged_parent_action_is_one_line(tmp_path, saved, capsys):
    """The parent pointers are replayed to rebuild traces; an action index the model does not
    have (a file forged with a valid checksum) is reported on one line, not a traceback."""
    header, parts = split(saved)
    acts = bytearray(parts["parent_act"])
    acts[-4:] = struct.pack("<i", 10**6)
    parts["parent_act"] = bytes(acts)
    # a violation at that state: its trace is rebuilt for the report
    header["search"]["violations"] = {"type_ok": [len(parts["fps"]) // 8 - 1, None]}
    path = install(tmp_path, forge(header, parts))
    assert main([*CLI, "--resume", str(tmp_path)]) == 2
    one_line(capsys, path, "does not match the model")


def test_a_line_break_in_the_directory_name_stays_on_one_line(tmp_path, saved, capsys):
    root = tmp_path / "two\nlines"
    install(root, b"")
    assert main([*CLI, "--resume", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "empty" in err, err
