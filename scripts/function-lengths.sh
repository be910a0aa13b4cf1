#!/usr/bin/env bash
# Lists non-test C++ functions longer than a limit, longest first:
#   scripts/function-lengths.sh [LIMIT]      (default 80; prints "lines file:line name")
# Lengths come from Universal Ctags' end-of-definition field (apt: universal-ctags),
# counted from the line of the name to the closing brace. Exits 1 when any is over,
# 77 (ctest's skip) when ctags is missing.
set -euo pipefail
limit="${1:-80}"
cd "$(dirname "$0")/.."
command -v ctags >/dev/null || { echo "function-lengths: needs universal-ctags (apt-get install universal-ctags)" >&2; exit 77; }
files=$(git ls-files '*.cpp' '*.h' | grep -v -E '^(tests|fuzz)/')
# shellcheck disable=SC2086
ctags -x --_xformat='%{line} %{end} %{input} %{scope}::%{name}' --kinds-c++=f --fields=+ne \
    --language-force=c++ $files 2>/dev/null |
  awk -v limit="$limit" '$2 != "" { n = $2 - $1 + 1; name = $4; sub(/^::/, "", name); if (n > limit) printf "%4d %s:%s %s\n", n, $3, $1, name }' |
  sort -rn > /tmp/function-lengths.$$ || true
cat /tmp/function-lengths.$$
over=$(wc -l < /tmp/function-lengths.$$)
rm -f /tmp/function-lengths.$$
echo "function-lengths: $over function(s) over $limit lines" >&2
[[ "$over" -eq 0 ]]
