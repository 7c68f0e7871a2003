#!/usr/bin/env bash
# Runs the benchmarks (docs/benchmarks.md): builds in Release, starts private servers and the
# services on free loopback ports, runs P1-P6 and writes the table into docs/benchmarks.md.
#   bench/run.sh            all scenarios (under 10 minutes)
#   bench/run.sh --smoke    tiny counts: checks that the harness works; writes nothing
#   bench/run.sh --only P1,P2 [--no-write]
set -euo pipefail
cd "$(dirname "$0")/.."

# The servers and nginx (P1's peer), installed from the distribution's packages when missing.
scripts/ensure-servers.sh --local --bench-tools >/dev/null

echo "bench: building in Release ..."
dotnet build AppHost -c Release -clp:ErrorsOnly -nologo -v q
dotnet build bench/FlexWhere.Bench -c Release -clp:ErrorsOnly -nologo -v q
exec dotnet bench/FlexWhere.Bench/bin/Release/net10.0/FlexWhere.Bench.dll "$@"
