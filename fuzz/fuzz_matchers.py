"""Fuzz the hand-written linear-time matchers against the expressions they replace.

``blocks`` (``$[[ ]]``), ``parallel_base`` (``job 1/3``, ``job: [a]``) and ``group_name``
(``CI_JOB_GROUP_NAME``) must give exactly what GitLab's regular expressions give; inputs are
short soups of the characters that matter, so the expressions stay fast here. Run:
``python fuzz/fuzz_matchers.py -runs=20000``.
"""

from __future__ import annotations

import re
import sys

import atheris

with atheris.instrument_imports():
    from cigen.config.processor import parallel_base
    from cigen.pipeline.parallel import group_name
    from cigen.resolve.inputs import blocks

BLOCK = re.compile(r"\$\[\[\s*(\S.*?\S)\s*\]\]")
GROUP = re.compile(r"([\x08\s:]+((\[.*\])|(\d+[\s:/\\]+\d+))){1,3}\s*\Z")
PARALLEL = re.compile(r"^(?P<base>.+?)(?: \d+/\d+|: \[.*\])$")
PIECES = ["$[[", "]]", " ", "\n", "\t", "a", "b", "1", "2", "/", ":", "[", "]", ": [", " 1/2", "\\"]


def one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    count = provider.ConsumeIntInRange(0, 14)
    text = "".join(PIECES[provider.ConsumeIntInRange(0, len(PIECES) - 1)] for _ in range(count))
    found = [(m.start(), m.end(), m.group(1)) for m in BLOCK.finditer(text)]
    assert list(blocks(text)) == found, text
    assert group_name(text) == GROUP.sub("", text, count=1).strip(), text
    match = PARALLEL.match(text)
    assert parallel_base(text) == (match.group("base") if match else None), text


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
