"""``python -m cigen`` and the ``cigen`` command: one process, one run.

The cycle collector is off for the whole process, imports included, and what is left at the
end is frozen, so neither start-up nor the interpreter's exit walks every object of the run
(about a tenth of a small lint): cigen's data has no cycles to collect, and a pre-commit hook
pays for every millisecond. In-process callers (tests) call :func:`cigen.cli.main.main`, which
leaves the collector as it found it.
"""

from __future__ import annotations

import gc


def entry() -> int:
    gc.disable()
    from cigen.cli.main import main

    code = main()
    gc.freeze()  # the collections at exit skip frozen objects
    return code


if __name__ == "__main__":
    raise SystemExit(entry())
