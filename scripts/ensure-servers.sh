#!/usr/bin/env bash
# Makes sure the stack has somewhere to get PostgreSQL, Redis and RabbitMQ from:
# a container engine that answers, or the servers from Debian's/Ubuntu's packages (installed here
# when missing). The packages' own services are not needed: FlexWhere starts private instances.
# Also the tools the build needs, from the same packages whatever runs the servers: Node.js and npm
# (the Control Centre page); with --test-tools (./test.sh) also what only the tests need: Chromium's
# headless shell (the browser tests), oathtool (the TOTP tests) and kubectl (the offline check of deploy/,
# scripts/check-deploy.sh); with --bench-tools nginx, the peer of P1 (bench/run.sh).
#   scripts/ensure-servers.sh [--local] [--test-tools] [--bench-tools]
#     --local       the local servers even when a container engine answers (./run.sh --Infra=local)
set -euo pipefail

packages=(postgresql redis-server rabbitmq-server)
local_only=false
test_tools=false
bench_tools=false
for argument in "$@"; do
  case "$argument" in
    --local) local_only=true ;;
    --test-tools) test_tools=true ;;
    --bench-tools) bench_tools=true ;;
    *) echo "usage: scripts/ensure-servers.sh [--local] [--test-tools] [--bench-tools]" >&2; exit 2 ;;
  esac
done

container_engine_answers() {
  for client in docker podman; do
    if command -v "$client" >/dev/null 2>&1 && timeout 5 "$client" info >/dev/null 2>&1; then
      return 0
    fi
  done
  return 1
}

missing_packages() {
  local missing=()
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
  [ -x /usr/bin/redis-server ] || missing+=(redis-server)
  { [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] && command -v epmd >/dev/null; } || missing+=(rabbitmq-server)
  echo "${missing[@]:-}"
}

missing_tools() {
  local missing=()
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  if [ "$test_tools" = true ]; then
    # Chromium's headless shell: the browser tests need no window, and the full browser took more than twice
    # its CPU for the same tests (docs/testing.md).
    [ -x /usr/bin/chromium-headless-shell ] || missing+=(chromium-headless-shell)
    # The independent TOTP implementation the Accounts tests compare against (Debian's oath-toolkit).
    command -v oathtool >/dev/null 2>&1 || missing+=(oathtool)
    # kubectl renders deploy/ with its built-in kustomize; Debian bookworm packages it as kubernetes-client (1.20).
    command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
  fi
  if [ "$bench_tools" = true ]; then
    # P1's peer: the bench starts its own nginx on a free port; the package's service is not needed.
    { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } || missing+=(nginx-light)
  fi
  echo "${missing[@]:-}"
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; return; fi
  command -v sudo >/dev/null 2>&1 || { echo "ensure-servers: run as root or install sudo to run: $*" >&2; exit 1; }
  sudo "$@"
}

tools=$(missing_tools)
if [ -n "$tools" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-servers: install these (the Control Centre page; with --test-tools also the browser, TOTP and deploy/ checks; with --bench-tools nginx): $tools" >&2
    exit 1
  fi
  echo "ensure-servers: installing $tools ..."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # shellcheck disable=SC2086 # one package name per word
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $tools >/dev/null
  tools=$(missing_tools)
  if [ -n "$tools" ]; then
    echo "ensure-servers: still missing after the install: $tools" >&2
    exit 1
  fi
fi

if [ "$local_only" = false ] && container_engine_answers; then
  echo "ensure-servers: a container engine answers; the AppHost will use containers."
  exit 0
fi

missing=$(missing_packages)
if [ -z "$missing" ]; then
  echo "ensure-servers: PostgreSQL, Redis and RabbitMQ are installed; they will run as local servers."
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-servers: no container engine answers and these servers are missing: $missing." >&2
  echo "Start Docker or Podman, or install PostgreSQL, Redis and RabbitMQ with your package manager." >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "ensure-servers: run as root or install sudo to install: $missing" >&2; exit 1; }
  sudo="sudo"
fi

echo "ensure-servers: installing ${packages[*]} (missing: $missing) ..."
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
missing=$(missing_packages)
if [ -n "$missing" ]; then
  echo "ensure-servers: still missing after the install: $missing" >&2
  exit 1
fi
echo "ensure-servers: installed."
