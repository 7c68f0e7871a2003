#!/usr/bin/env bash
# Runs every test: unit, integration (real PostgreSQL, Redis and RabbitMQ) and end-to-end (the
# whole AppHost). Installs the local servers first if no container engine answers.
# Ends with one line "N passed, N failed, N skipped"; exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")"

command -v dotnet >/dev/null 2>&1 || { echo "test.sh: the .NET 10 SDK is needed (dotnet not found)." >&2; exit 1; }

scripts/ensure-servers.sh
dotnet build FlexWhere.sln --nologo -clp:ErrorsOnly

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test FlexWhere.sln --no-build --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# Sum the per-assembly summaries ("Passed!  - Failed: 0, Passed: 5, Skipped: 0, Total: 5, ...").
read -r passed failed skipped assemblies < <(awk '
  /(Passed|Failed)! +- Failed: / {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:")  { f += $(i + 1) + 0 }
      if ($i == "Passed:")  { p += $(i + 1) + 0 }
      if ($i == "Skipped:") { s += $(i + 1) + 0 }
    }
    n++
  }
  END { printf "%d %d %d %d\n", p, f, s, n }' "$log")

echo
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then exit 1; fi
if [ "$passed" -eq 0 ]; then echo "test.sh: no test ran." >&2; exit 1; fi
