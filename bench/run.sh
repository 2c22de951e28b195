#!/usr/bin/env bash
# Benchmark harness: Balancer side by side with HAProxy, nginx and stock Jetty, under wrk.
# Usage: bench/run.sh [--duration S] [--rounds N] [--warmup S] [--only balancer,jetty-stock,...]
#                     [--shapes default|all|"POST 4 KiB c32,1 MiB c8,..."]
# Prints a Markdown table at the end and writes it to bench/out/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in haproxy nginx wrk; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
command -v ab >/dev/null 2>&1 || missing+=(apache2-utils)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
# the packaged nginx may have started its own service on port 80; ours run on their own ports
for port in 18081 18082 18101 18102 18103 18104 18105 18106 18107 18108; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is taken: stop what listens there first" >&2; exit 1
  fi
done

if [ ! -f lb-jetty/target/lb-jetty.jar ] || [ ! -f bench/target/lb-bench.jar ] || [ -n "${BENCH_REBUILD:-}" ]; then
  mvn -q -B -DskipTests package
fi
mkdir -p bench/out
# bounded: the harness stops everything it started, also on Ctrl-C
exec timeout --signal=TERM 900 java -cp bench/target/lb-bench.jar dev.balancer.bench.Harness --root . "$@"
