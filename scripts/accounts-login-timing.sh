#!/usr/bin/env bash
# Answer times of POST /api/auth/login for an unknown e-mail versus a wrong password, interleaved.
# Usage: scripts/accounts-login-timing.sh http://127.0.0.1:PORT [runs]
# Run against Accounts directly (not through the Gateway, whose per-IP limit would cut the series
# short) with the Development seed and SignIn__MaxFailedAttempts=100, so the lockout does not either.
set -euo pipefail
url="$1/api/auth/login"; runs="${2:-60}"; out="$(mktemp -d)"
req() { curl -s -o /dev/null -w "%{http_code} %{time_total}\n" -H 'content-type: application/json' \
  -d "{\"email\":\"$1\",\"password\":\"$2\",\"client\":\"mobile\"}" "$url"; }
req employee@demo.flexwhere.test 'FlexWhere-Demo-2026!' > /dev/null # warm-up, and resets the failure count
for i in $(seq 1 "$runs"); do
  req "nobody$i@demo.flexwhere.test" not-the-password >> "$out/unknown"
  req employee@demo.flexwhere.test not-the-password >> "$out/wrong"
done
for f in unknown wrong; do
  printf '%-8s statuses: %s  median / p10 / p90 ms: %s\n' "$f" "$(cut -d' ' -f1 "$out/$f" | sort | uniq -c | xargs)" \
    "$(cut -d' ' -f2 "$out/$f" | sort -n | awk '{a[NR]=$1*1000}
      END {printf "%.1f / %.1f / %.1f (n=%d)", a[int((NR+1)/2)], a[int(NR*0.1)+1], a[int(NR*0.9)], NR}')"
done
rm -rf "$out"
