#!/usr/bin/env bash
# What a reload does to live traffic: wrk through a proxy that is reloaded every second, with
# keep-alive connections and with a new connection per request, for HAProxy 2.6 (-W master-worker
# + SIGUSR2, and the classic -D -sf) and for our balancer (SIGHUP, and an edit of the file).
# Prints a Markdown table of requests and errors (wrk's socket errors and non-2xx answers).
# Usage: bench/reloads.sh [SECONDS] [RELOADS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
reloads=${2:-8}
b1=18301; b2=18302; front=18310

missing=()
for tool in haproxy nginx wrk; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
for p in $b1 $b2 $front; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "port $p is taken" >&2; exit 1; fi
done
[ -f lb-jetty/target/lb-jetty.jar ] || mvn -q -B -DskipTests package
out=$PWD/bench/out/reloads
mkdir -p "$out/www"
head -c 1024 /dev/zero | tr '\0' 'x' > "$out/www/1k.html"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; pkill -f "$out/haproxy" 2>/dev/null || true; }
trap cleanup EXIT

for port in $b1 $b2; do
  cat > "$out/nginx-$port.conf" <<CONF
worker_processes 1;
daemon off;
pid $out/nginx-$port.pid;
error_log $out/nginx-$port.error.log warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$port; root $out/www; } }
CONF
  nginx -c "$out/nginx-$port.conf" & pids+=($!)
done
cat > "$out/haproxy.cfg" <<CONF
global
  nbthread 2
defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 10s
frontend www
  bind 127.0.0.1:$front
  default_backend app
backend app
  balance roundrobin
  server s1 127.0.0.1:$b1
  server s2 127.0.0.1:$b2
CONF

wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$front") 2>/dev/null && return 0; sleep 0.05; done; echo "nothing on $front" >&2; return 1; }
wait_closed() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$front") 2>/dev/null || return 0; sleep 0.05; done; }

# run_wrk NAME MODE RELOAD_COMMAND
results=()
run_wrk() {
  local name=$1 mode=$2 reload=$3 extra=()
  [ "$mode" = "new connection per request" ] && extra=(-H "Connection: close")
  wrk -t1 -c8 -d"${seconds}s" "${extra[@]}" "http://127.0.0.1:$front/1k.html" > "$out/wrk.txt" 2>&1 &
  local w=$!
  sleep 1
  for _ in $(seq 1 "$reloads"); do eval "$reload"; sleep "$(awk -v s="$seconds" -v r="$reloads" 'BEGIN { printf "%.2f", (s - 2) / r }')"; done
  wait $w || true
  local total errors non2xx
  total=$(awk '/requests in/ {print $1}' "$out/wrk.txt")
  errors=$(awk '/Socket errors/ {gsub(",", ""); print "connect " $4 ", read " $6 ", write " $8 ", timeout " $10}' "$out/wrk.txt")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$out/wrk.txt")
  results+=("| $name | $mode | $reloads | ${total:-?} | ${errors:-none} | ${non2xx:-0} |")
  echo "${results[-1]}"
}

for mode in "keep-alive" "new connection per request"; do
  # HAProxy master-worker, reloaded by SIGUSR2 (what the official image does)
  haproxy -W -f "$out/haproxy.cfg" -p "$out/haproxy-w.pid" > "$out/haproxy-w.log" 2>&1 & hw=$!; pids+=($hw)
  wait_port
  run_wrk "HAProxy 2.6 -W, SIGUSR2" "$mode" "kill -USR2 $hw"
  kill $hw; wait $hw 2>/dev/null || true; wait_closed

  # HAProxy daemon, a new process per reload with -sf
  haproxy -D -f "$out/haproxy.cfg" -p "$out/haproxy-d.pid"
  wait_port
  run_wrk "HAProxy 2.6 -D -sf" "$mode" "haproxy -D -f $out/haproxy.cfg -p $out/haproxy-d.pid -sf \$(cat $out/haproxy-d.pid)"
  kill $(cat "$out/haproxy-d.pid") 2>/dev/null || true; wait_closed

  # ours: SIGHUP, then a change of the file itself
  cp "$out/haproxy.cfg" "$out/balancer.cfg"
  java -Xmx256m -jar lb-jetty/target/lb-jetty.jar -f "$out/balancer.cfg" > "$out/balancer.log" 2>&1 & bj=$!; pids+=($bj)
  wait_port
  wrk -t1 -c8 -d10s "http://127.0.0.1:$front/1k.html" > /dev/null 2>&1 || true # JIT warm-up
  run_wrk "Balancer, SIGHUP" "$mode" "kill -HUP $bj"
  run_wrk "Balancer, file edited" "$mode" "echo '# reload \$RANDOM' >> $out/balancer.cfg"
  kill $bj; wait $bj 2>/dev/null || true; wait_closed
done

echo
echo "| proxy, reload | connections | reloads | requests | wrk socket errors | non-2xx |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${results[@]}"
