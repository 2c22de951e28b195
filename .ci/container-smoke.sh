#!/usr/bin/env bash
# Container smoke test, run by .ci/run after the Maven build: builds the balancer and web app images
# with podman (and runc) on a locally made Java 17 base image, then plays the docker workflow the
# README describes: two web apps and the balancer with a mounted haproxy.cfg, on the host network
# (fixed ports below 32768, checked free), and checks what a user would see. Ends with
# "N passed, N failed"; exits 1 if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq podman runc
fi
[ -f lb-jetty/target/lb-jetty.jar ] && [ -f lb-webapp/target/lb-webapp.jar ] || mvn -q -B -DskipTests package

W=$(mktemp -d /tmp/balancer-smoke.XXXXXX)
nofile=$(ulimit -Hn); nproc=$(ulimit -Hu); [ "$nproc" = unlimited ] && nproc=32768; [ "$nproc" -gt 32768 ] && nproc=32768
cat > "$W/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_CONF="$W/containers.conf"
P() { podman --root "$W/storage" --runroot "$W/runroot" "$@"; }

FRONT=18080; APP1=18081; APP2=18082; DIRFRONT=18090; PUBLISHED=18088; APP3=18089
for p in $FRONT $APP1 $APP2 $DIRFRONT $PUBLISHED $APP3; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "port $p is taken: cannot run the smoke test" >&2; exit 1; fi
done

passed=0; failed=0
check() { # check NAME COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "PASS $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}
cleanup() {
  P rm -f -t 0 webapp1 webapp2 webapp3 balancer balancer-dir balancer-default >/dev/null 2>&1
  P rmi -a -f >/dev/null 2>&1
  rm -rf "$W" 2>/dev/null || $SUDO rm -rf "$W"
}
trap cleanup EXIT

quiet() { "$@" > "$W/quiet.out" 2>&1 || { cat "$W/quiet.out"; return 1; }; }
served_by() { curl -s -m 5 -o /dev/null -w '%header{x-served-by}' "http://127.0.0.1:$1/"; }
wait_http() { # wait_http PORT: up to 20 s
  for _ in $(seq 1 200); do curl -s -m 1 -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; return 1
}

echo "== base image and images"
t0=$(date +%s)
"$ROOT/.ci/mk-jlink-rootfs.sh" "$W/rootfs" >/dev/null
tar -C "$W/rootfs" -cf "$W/rootfs.tar" .
P import --change 'ENV PATH=/opt/java/bin:/usr/bin:/bin' "$W/rootfs.tar" localhost/jre17-base:ci >/dev/null 2>&1
check "the balancer image builds (lb-jetty/Dockerfile)" \
  quiet P build -q --pull=never --build-arg BASE_IMAGE=localhost/jre17-base:ci -t localhost/balancer:ci lb-jetty
check "the web app image builds (lb-webapp/Dockerfile)" \
  quiet P build -q --pull=never --build-arg BASE_IMAGE=localhost/jre17-base:ci -t localhost/webapp:ci lb-webapp
echo "   ($(( $(date +%s) - t0 )) s)"

echo "== two web apps and the balancer, single-file mount"
P run -d --name webapp1 --network host localhost/webapp:ci --port $APP1 --name webapp1 >/dev/null
P run -d --name webapp2 --network host localhost/webapp:ci --port $APP2 --name webapp2 >/dev/null
config() { # config FRONT_PORT WEBAPP2_EXTRA
  cat <<CFG
global
    hard-stop-after 8s
defaults
    mode http
    option httplog
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend www
    bind 127.0.0.1:$1
    stats enable
    stats uri /stats
    default_backend webapps
backend webapps
    balance roundrobin
    server webapp1 127.0.0.1:$APP1 ${3:-}
    server webapp2 127.0.0.1:$APP2 ${2:-}
CFG
}
config $FRONT > "$W/haproxy.cfg"
P run -d --name balancer --network host -v "$W/haproxy.cfg:/etc/haproxy/haproxy.cfg:ro" localhost/balancer:ci >/dev/null
check "web apps answer" wait_http $APP1
wait_http $APP2 >/dev/null
check "the balancer answers" wait_http $FRONT
seq4=$(for _ in 1 2 3 4; do served_by $FRONT; echo -n " "; done)
check "requests alternate between the web apps ($seq4)" \
  bash -c "[ '$seq4' = 'webapp1 webapp2 webapp1 webapp2 ' ] || [ '$seq4' = 'webapp2 webapp1 webapp2 webapp1 ' ]"

echo "== in-place edit of the mounted file: webapp1 disabled, under traffic"
: > "$W/loop.out"
( end=$(( $(date +%s) + 6 )); while [ "$(date +%s)" -lt $end ]; do
    curl -s -m 5 -o /dev/null -w '%{http_code} %header{x-served-by}\n' "http://127.0.0.1:$FRONT/" >> "$W/loop.out" || echo "000 -" >> "$W/loop.out"
  done ) & loop=$!
# the edit lands under traffic: once the loop has 20 answers (at most 5 s)
for _ in $(seq 1 50); do [ "$(wc -l < "$W/loop.out")" -ge 20 ] && break; sleep 0.1; done
config $FRONT "" disabled > "$W/new.cfg"; cat "$W/new.cfg" > "$W/haproxy.cfg"   # same inode: what a bind mount sees
wait $loop
total=$(wc -l < "$W/loop.out"); bad=$(grep -vc '^200 ' "$W/loop.out")
tail_ok=$(tail -20 "$W/loop.out" | grep -c '^200 webapp2$')
check "0 failed requests through the edit ($total requests, $bad failed)" [ "$bad" -eq 0 ]
check "traffic moved to webapp2 (last 20 requests: $tail_ok on webapp2)" [ "$tail_ok" -eq 20 ]
check "the web app logs each request (podman logs webapp1)" bash -c "P() { podman --root '$W/storage' --runroot '$W/runroot' \"\$@\"; }; P logs webapp1 2>&1 | grep -q 'webapp1 GET / 200'"
check "the balancer logs to stdout (httplog lines in podman logs)" bash -c "podman --root '$W/storage' --runroot '$W/runroot' logs balancer 2>/dev/null | grep -q 'www webapps/webapp'"

echo "== directory mount: a rename-replace is seen"
mkdir -p "$W/etc"
config $DIRFRONT > "$W/etc/haproxy.cfg"
P run -d --name balancer-dir --network host -v "$W/etc:/etc/haproxy:ro" localhost/balancer:ci >/dev/null
wait_http $DIRFRONT >/dev/null
config $DIRFRONT disabled > "$W/etc/.haproxy.cfg.new"; mv "$W/etc/.haproxy.cfg.new" "$W/etc/haproxy.cfg"
moved=no
for _ in $(seq 1 50); do
  if [ "$(served_by $DIRFRONT)$(served_by $DIRFRONT)$(served_by $DIRFRONT)" = webapp1webapp1webapp1 ]; then moved=yes; break; fi
  sleep 0.1
done
check "the renamed file was reloaded (webapp2 disabled, traffic on webapp1)" [ $moved = yes ]

echo "== -c checks the mounted file"
printf 'frontend www\n    bind :80\n    default_backend nowhere\n' > "$W/broken.cfg"
P run --rm -v "$W/broken.cfg:/etc/haproxy/haproxy.cfg:ro" localhost/balancer:ci -c > "$W/c.out" 2>&1; rc=$?
check "-c exits 1 on a broken file (rc $rc: $(grep -m1 ALERT "$W/c.out" | cut -c1-90))" [ $rc -eq 1 ]
P run --rm -v "$W/haproxy.cfg:/etc/haproxy/haproxy.cfg:ro" localhost/balancer:ci -c > "$W/c.out" 2>&1; rc=$?
check "-c exits 0 on a valid file (rc $rc)" [ $rc -eq 0 ]

echo "== nothing mounted: the default page, on a published port"
P run -d --name balancer-default -p 127.0.0.1:$PUBLISHED:80 localhost/balancer:ci >/dev/null
wait_http $PUBLISHED >/dev/null
check "the default configuration serves a helpful page" bash -c "curl -s -m 5 http://127.0.0.1:$PUBLISHED/ | grep -q 'Balancer is running'"
check "monitor-uri /healthz answers 200" bash -c "[ \$(curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:$PUBLISHED/healthz) = 200 ]"

echo "== the web app image with no arguments: port 80, named after its hostname"
P run -d --name webapp3 --hostname webapp3 -p 127.0.0.1:$APP3:80 localhost/webapp:ci >/dev/null
wait_http $APP3 >/dev/null
check "the web app serves port 80 as instance 'webapp3' ($(served_by $APP3))" [ "$(served_by $APP3)" = webapp3 ]

echo "== graceful stop with a request in flight"
curl -s -m 20 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$FRONT/?delay=3000" > "$W/slow.out" & slow=$!
# stop once the request is on a server (the backend's scur on the stats CSV, at most 5 s)
for _ in $(seq 1 50); do
  [ "$(curl -s -m 1 "http://127.0.0.1:$FRONT/stats;csv" | awk -F, '$1=="webapps" && $2=="BACKEND" {print $5}')" = 1 ] && break
  sleep 0.1
done
s0=$(date +%s%N)
P stop -t 10 balancer >/dev/null
s1=$(date +%s%N)
wait $slow
stopped_ms=$(( (s1 - s0) / 1000000 ))
code=$(P inspect -f '{{.State.ExitCode}}' balancer 2>/dev/null)
check "the balancer stopped within 10 s (${stopped_ms} ms, exit code $code)" [ $stopped_ms -lt 10000 ]
check "the request in flight completed (HTTP $(cat "$W/slow.out"))" [ "$(cat "$W/slow.out")" = 200 ]
check "the stop was graceful (exit code 0 or 143 is a kill)" [ "$code" = 0 ]

echo
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
