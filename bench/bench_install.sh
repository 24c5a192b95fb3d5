#!/usr/bin/env bash
# Install time, install size and warm start-up of `jxjy ask`, as a new user gets them: a fresh virtual
# environment, the README's install command (pip's wheel cache warm, as on a second machine of a fleet).
#   bench/bench_install.sh [CHECKOUT]      (default: this checkout)
set -euo pipefail
repo=$(cd "${1:-$(dirname "$0")/..}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip >/dev/null 2>&1
constraints=()
[ -f "$repo/constraints.txt" ] && constraints=(-c "$repo/constraints.txt")
start=$(date +%s.%N)
(cd "$repo" && "$work/venv/bin/python" -m pip install --quiet "${constraints[@]}" -e . >/dev/null 2>&1)
end=$(date +%s.%N)
echo "install: $(echo "$end - $start" | bc) s"
echo "install size: $(du -sm "$work/venv" | cut -f1) MB (the whole virtual environment)"
export JXJY_DATA_DIR="$work/data"
"$work/venv/bin/jxjy" ask "你好" --now 2023-11-24T10:00:00+08:00 >/dev/null   # first run trains the model
best=999
for _ in 1 2 3 4 5; do
    s=$(date +%s.%N)
    "$work/venv/bin/jxjy" ask "缴费多少钱" --now 2023-11-24T10:00:00+08:00 >/dev/null
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc)
    best=$(echo "if ($t < $best) $t else $best" | bc)
done
echo "warm start-up to the first answer (jxjy ask, best of 5): $best s"
