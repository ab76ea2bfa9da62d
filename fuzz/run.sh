#!/usr/bin/env bash
# Run each atheris fuzz harness briefly: FUZZ_RUNS inputs (default 20000), at most FUZZ_SECONDS
# seconds (default 20) each. Skips with a message when atheris is not installed. A crash
# fails the script; the input that caused it is kept in FUZZ_ARTIFACTS (default: a temporary
# folder, printed).
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python}"
if ! "$python" -c "import atheris" >/dev/null 2>&1; then
    echo "fuzz: atheris is not installed, skipping the fuzz harnesses (pip install atheris)"
    exit 0
fi
runs="${FUZZ_RUNS:-20000}"
seconds="${FUZZ_SECONDS:-20}"
artifacts="${FUZZ_ARTIFACTS:-}"
keep=1
if [ -z "$artifacts" ]; then
    artifacts="$(mktemp -d "${TMPDIR:-/tmp}/cigen-fuzz.XXXXXX")"
    keep=0
fi
mkdir -p "$artifacts"
status=0
for harness in fuzz/fuzz_loader.py fuzz/fuzz_expressions.py fuzz/fuzz_matchers.py \
    fuzz/fuzz_budget.py; do
    echo "== fuzz $harness (${runs} runs, at most ${seconds} s)"
    if ! "$python" "$harness" -runs="$runs" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=0 -artifact_prefix="$artifacts/" \
        >"$artifacts/log.txt" 2>&1; then
        tail -n 40 "$artifacts/log.txt"
        echo "fuzz: $harness failed; reproducer in $artifacts" >&2
        status=1
    else
        grep -E "^#[0-9]+ *DONE" "$artifacts/log.txt" || tail -n 1 "$artifacts/log.txt"
    fi
done
if [ "$status" -eq 0 ] && [ "$keep" -eq 0 ]; then
    rm -rf "$artifacts"
fi
exit "$status"
