#!/usr/bin/env bash
# The reliability suite at full size (issue 8): R1 10,000 SendSms and 2,000 SendEmail through faults, R3 10,000 bad requests,
# R2 50 brute-forced challenges, R4 outages, R5 isolation, R6 the secrets scan, on real servers and the
# whole AppHost with two replicas of every service. Writes the figures into docs/reliability.md.
# Takes about 14 minutes on two cores (13 min 32 s on 2026-11-28, R3 alone ~8). The CI size runs in ./test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-servers.sh
dotnet build FlexWhere.sln --nologo -clp:ErrorsOnly

results=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$results" "$log"' EXIT
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
set +e
FLEXWHERE_RELIABILITY=full FLEXWHERE_RELIABILITY_RESULTS="$results" \
  dotnet test tests/Reliability.Tests --no-build --nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# The console logger at normal verbosity ends with "Total tests: N", "Passed: N" and "Failed: N" lines.
summary=$(grep -E '^ *(Total tests|Passed|Failed|Skipped): [0-9]+' "$log" | tail -4 | sed -E 's/^ +//' \
  | paste -sd ',' - | sed 's/,/, /g' || true)

python3 scripts/reliability-report.py "$results" docs/reliability.md \
  --started "$started" --finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --command "scripts/reliability-full.sh" --summary "${summary:-no summary line}" \
  --machine "$(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo), .NET $(dotnet --version)"
echo "Figures written to docs/reliability.md"
exit "$status"
