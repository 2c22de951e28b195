#!/usr/bin/env bash
# Runs the README's test command as a new user would: a fresh clone, Java 17 and Maven, none of the
# outside tools the tests can use. Prints the build's skipped-tests line; exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

hidden=(haproxy nginx wrk h2load ab chromium chromedriver podman docker buildah runc)
shadow="$(mktemp -d)"
clone="$(mktemp -d)"
trap 'rm -rf "$shadow" "$clone"' EXIT
# every command of the PATH but the hidden ones, as links in one directory
IFS=: read -ra dirs <<< "$PATH"
for d in "${dirs[@]}"; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    name="$(basename "$f")"
    for h in "${hidden[@]}"; do [ "$name" = "$h" ] && continue 2; done
    [ -e "$shadow/$name" ] || ln -s "$f" "$shadow/$name"
  done
done
for h in "${hidden[@]}"; do
  if PATH="$shadow" command -v "$h" >/dev/null 2>&1; then echo "fresh machine: $h still on the PATH" >&2; exit 1; fi
done

git clone -q . "$clone"
cd "$clone"
echo "fresh machine: $(git rev-parse --short HEAD) in $clone, without ${hidden[*]}"
status=0
env -u CI PATH="$shadow" mvn -B verify > build.log 2>&1 || status=$?
grep -E "Tests run:.*Fail|Skipped tests|BUILD" build.log || true
if [ "$status" -ne 0 ]; then
  tail -200 build.log
  exit "$status"
fi
grep -q "Skipped tests: " build.log || { echo "fresh machine: the build did not say what it skipped" >&2; exit 1; }
