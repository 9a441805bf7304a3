#!/usr/bin/env bash
# The README's walk-through, scripted: four rings, a fault in broad, the manual gate, a
# retry. Clones this repository's committed state into a temporary folder, runs the
# controller there on the sim provider, makes each commit and approval as soon as the
# console asks for it, and prints the time each stage took.
#
#   npm run build && scripts/walkthrough.sh [SPEED] [--no-freeze]
#
# SPEED is the rehearsal's --sim-speed (default 10000). --no-freeze takes the example
# policy's freeze out of the clone first (in December the rehearsal's clock crosses it).
set -euo pipefail
speed=${1:-10000}
root=$(cd "$(dirname "$0")/.." && pwd)
cli="node $root/dist/controller/cli/bin.js"
work=$(mktemp -d -t ringmaster-walkthrough-XXXXXX)
out=$work/console.txt
pid=
trap '[ -n "$pid" ] && kill -TERM $pid 2>/dev/null; echo "console: $out"' EXIT
git clone -q "$root" "$work/repo"
cd "$work/repo"
git config user.email walkthrough@example.com
git config user.name walkthrough
if [ "${2:-}" = --no-freeze ]; then
  sed -i '/^freeze:/,/year-end/d' policies/promotion.yaml
  git commit -qam 'no freeze'
fi
printf 'faults:\n  - { group: smb-broad-3, step: verify, kind: permanent }\n' >"$work/faults.yaml"
started=$(date +%s)
say() { echo "[$(($(date +%s) - started)) s] $*"; }
# Waits until the console shows a line matching the extended regular expression $1.
waitfor() {
  for _ in $(seq 1 6000); do grep -qE "$1" "$out" && return 0; sleep 0.1; done
  say "gave up waiting for: $1"
  exit 1
}
start() {
  $cli run --rev HEAD --sim-speed "$speed" --port 0 "$@" >>"$out" 2>&1 &
  pid=$!
}
stop() {
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  pid=
}
promote() { # ring's current release, new release
  sed -i "0,/release: \"$1\"/s//release: \"$2\"/" groups/rings.yaml
  git commit -qam "promote $2 from $1"
  git rev-parse --short=12 HEAD
}
stable='globex initech smb-stable-1'

: >"$out"
start
for g in $stable; do waitfor "$g@[0-9a-f]{12} waiting: waiting for approval"; done
say 'every group created; the stable groups wait at their gate'
for id in $(grep -oE 'approve [a-z0-9-]+@[0-9a-f]{12}' "$out" | awk '{print $2}' | sort -u); do $cli approve "$id" >/dev/null; done
for g in $stable; do waitfor "✓ $g@[0-9a-f]{12} succeeded"; done
say 'stable approved and cut over'
stop
start --sim-faults "$work/faults.yaml"
commit=$(promote 2026.11.0 2026.11.2)
for g in hooli smb-early-1 smb-early-2; do waitfor "✓ $g@$commit succeeded"; done
say 'early on 2026.11.2'
commit=$(promote 2026.10.3 2026.11.2)
waitfor "↺ smb-broad-3@$commit rolled-back"
for g in smb-broad-1 smb-broad-2 umbrella; do waitfor "✓ $g@$commit succeeded"; done
say 'broad on 2026.11.2 but smb-broad-3, which is held'
stop
start
$cli retry smb-broad-3 >/dev/null
waitfor "✓ smb-broad-3@[0-9a-f]{12} succeeded"
say 'smb-broad-3 retried and on 2026.11.2'
commit=$(promote 2026.09.8 2026.11.2)
for g in $stable; do waitfor "$g@$commit waiting: waiting for approval"; done
say 'stable baked, in its windows and at its gate'
for g in $stable; do $cli approve "$g@$commit" >/dev/null; done
for g in $stable; do waitfor "✓ $g@$commit succeeded"; done
say 'stable on 2026.11.2: done'
stop
