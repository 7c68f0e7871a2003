#!/usr/bin/env bash
# Runs the whole FlexWhere MFA stack: installs the local servers if nothing else can provide them,
# then starts the AppHost. Gateway: http://localhost:5080   Dashboard: http://localhost:15080
# Stop with Ctrl+C. Extra arguments go to the AppHost, e.g. ./run.sh --Infra=local
set -euo pipefail
cd "$(dirname "$0")"

command -v dotnet >/dev/null 2>&1 || { echo "run.sh: the .NET 10 SDK is needed (dotnet not found)." >&2; exit 1; }

if [[ " $* " == *" --Infra=local "* ]]; then scripts/ensure-servers.sh --local; else scripts/ensure-servers.sh; fi
exec dotnet run --project AppHost -- "$@"
