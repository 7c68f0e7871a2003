#!/usr/bin/env bash
# Renders the Kubernetes manifests (deploy/base and deploy/overlays/production) with `kubectl kustomize`, offline,
# and checks them: every object against the Kubernetes API's types, and FlexWhere's rules (only the Gateway is
# public, probes and resource requests on every Deployment, secrets only by reference, every setting the AppHost
# gives a service). The checks are tests/EndToEndTests/Deployment (they run in ./test.sh too); docs/operations.md.
#
#   scripts/check-deploy.sh              render, build the test project and run the deployment checks
#   scripts/check-deploy.sh --render DIR render only: DIR/base.yaml and DIR/production.yaml (what the checks read)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v kubectl >/dev/null 2>&1 || {
  echo "check-deploy: kubectl is needed to render the manifests (scripts/ensure-servers.sh --test-tools installs it)." >&2
  exit 1
}

render() {
  local out=$1
  mkdir -p "$out"
  # kustomize 5 warns on stderr about the fields kept for older kubectl builds (deploy/overlays/production).
  kubectl kustomize deploy/base >"$out/base.yaml" 2>"$out/base.log" || { cat "$out/base.log" >&2; return 1; }
  kubectl kustomize deploy/overlays/production >"$out/production.yaml" 2>"$out/production.log" ||
    { cat "$out/production.log" >&2; return 1; }
}

if [ "${1:-}" = "--render" ]; then
  [ -n "${2:-}" ] || { echo "usage: scripts/check-deploy.sh [--render DIR]" >&2; exit 2; }
  render "$2"
  exit 0
fi

rendered=$(mktemp -d /tmp/flexwhere-deploy.XXXXXX)
trap 'rm -rf "$rendered"' EXIT
render "$rendered"
echo "check-deploy: rendered $(grep -c '^kind:' "$rendered/base.yaml") objects (base) and $(grep -c '^kind:' "$rendered/production.yaml") (production)"
dotnet build tests/EndToEndTests/EndToEndTests.csproj --nologo -clp:ErrorsOnly
dotnet test tests/EndToEndTests/bin/Debug/net10.0/EndToEndTests.dll --nologo --filter "FullyQualifiedName~EndToEndTests.Deployment"
