#!/usr/bin/env bash
# The cost of active health checks: 1,000 servers, `option httpchk GET /health`, `check inter 2s`
# (500 checks/s) against one nginx on 127.0.0.1, in our balancer and in HAProxy (nbthread 1), the two
# interleaved for a few rounds. Each figure is the process's CPU time (user + system, from /proc) over
# a window after a warm-up, as a share of one core.
# Usage: bench/health-checks.sh [ROUNDS] [SECONDS] [WARMUP_SECONDS]
# JVM_VARIANTS="|-XX:+UseSerialGC" compares JVM option sets (separated by |; empty = the defaults).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
window=${2:-30}
warmup=${3:-45}
port=18090
front=18091

missing=()
for tool in haproxy nginx; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
for p in $port $front; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "port $p is taken" >&2; exit 1; fi
done
[ -f bench/target/lb-bench.jar ] || mvn -q -B -DskipTests package
out=bench/out/health
mkdir -p "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

cat > "$out/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $PWD/$out/nginx.pid;
error_log $PWD/$out/nginx.error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    server { listen 127.0.0.1:$port; location /health { return 200 "ok\n"; } }
}
CONF
nginx -c "$PWD/$out/nginx.conf" & pids+=($!)
{
  printf 'global\n  nbthread 1\ndefaults\n  mode http\n  timeout connect 1s\n  timeout check 1s\n'
  printf '  timeout client 5s\n  timeout server 5s\nfrontend f\n  bind 127.0.0.1:%s\n  default_backend app\n' $front
  printf 'backend app\n  option httpchk GET /health\n'
  for i in $(seq 0 999); do printf '  server s%s 127.0.0.1:%s check inter 2s\n' "$i" $port; done
} > "$out/haproxy.cfg"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
IFS='|' read -r -a variants <<< "${JVM_VARIANTS:-}"
[ ${#variants[@]} -gt 0 ] || variants=("")
declare -A ours
theirs=()
for r in $(seq 1 "$rounds"); do
  for v in "${variants[@]}"; do
    # shellcheck disable=SC2086
    line=$(timeout $((window + warmup + 60)) java $v -cp bench/target/lb-bench.jar dev.balancer.bench.HealthCheckLoad $port 1000 "$window" "$warmup" 2>/dev/null | tail -1)
    echo "round $r balancer ${v:-(JVM defaults)}: $line"
    ours[k$v]="${ours[k$v]:-} $(echo "$line" | sed -E 's/.*: ([0-9.]+)% of one core.*/\1/')"
  done
  haproxy -f "$out/haproxy.cfg" -db > "$out/haproxy.log" 2>&1 & hp=$!; pids+=($hp)
  sleep "$warmup" # the same warm-up as ours
  a=$(ticks $hp); sleep "$window"; b=$(ticks $hp)
  kill $hp; wait $hp 2>/dev/null || true
  share=$(awk -v a="$a" -v b="$b" -v w="$window" -v hz="$hz" 'BEGIN { printf "%.1f", 100 * (b - a) / hz / w }')
  echo "round $r haproxy: $share% of one core over $window s"
  theirs+=("$share")
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
echo
echo "| checker (1,000 servers, HTTP, inter 2s) | CPU, share of one core (median of $rounds) | rounds |"
echo "|---|---|---|"
for v in "${variants[@]}"; do
  # shellcheck disable=SC2086
  echo "| Balancer ${v:-(JVM defaults)} | $(median ${ours[k$v]})% | ${ours[k$v]# } |"
done
echo "| HAProxy 2.6 nbthread 1 | $(median "${theirs[@]}")% | ${theirs[*]} |"
