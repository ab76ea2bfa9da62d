"""Fuzz the YAML loader: any bytes give a ``Loaded`` whose problems lie inside the file.

Half of the inputs are raw bytes, half are assembled from YAML's structural pieces (anchors,
aliases, flow and block collections, tags, merge keys, documents, BOMs), which reach the
composer's corners much sooner. Run: ``python fuzz/fuzz_loader.py -runs=20000`` (libFuzzer
flags); ``fuzz/run.sh`` runs every harness briefly.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from cigen.yaml.load import Loaded, load_text, to_plain

PIECES = [
    "&a ",
    "&b ",
    "*a",
    "*b",
    "[",
    "]",
    "{",
    "}",
    ", ",
    ": ",
    "- ",
    "? ",
    "\n",
    "  ",
    "    ",
    "\t",
    "!reference ",
    "!reference [.a, script]",
    "<<: ",
    "<<: *a",
    "<<: [*a, *b]",
    "'",
    '"',
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "|\n",
    ">-\n",
    "# c\n",
    "\ufeff",
    "x",
    "job",
    "script",
    "spec:\n  inputs:\n",
    "$[[ inputs.x ]]",
    "2024-01-02",
    "0755",
    "1:30",
    "yes",
    "~",
    "null",
    ".inf",
    "!!str ",
    "!!int ",
    "!custom ",
    "\\",
    "\r\n",
    "\x00",
    "é",
    "\u2028",
]


def compose(fdp: atheris.FuzzedDataProvider) -> bytes:
    count = fdp.ConsumeIntInRange(0, 64)
    return "".join(fdp.PickValueInList(PIECES) for _ in range(count)).encode("utf-8")


def check(path: str, data: bytes) -> None:
    loaded = load_text(path, data)
    assert isinstance(loaded, Loaded)
    lines = max(data.count(b"\n") + data.count(b"\r") + 2, len(data) + 2)
    for problem in loaded.problems:
        assert problem.mark.path == path
        assert 1 <= problem.mark.line <= lines, problem
        assert problem.mark.col >= 1, problem
    if loaded.ok:
        to_plain(loaded.body)
        to_plain(loaded.header)


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    if fdp.ConsumeBool():
        check("fuzz.yml", compose(fdp))
    else:
        check("fuzz.yml", fdp.ConsumeBytes(fdp.remaining_bytes()))


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
