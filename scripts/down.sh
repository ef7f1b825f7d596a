#!/usr/bin/env bash
# Stops the API and the worker started by scripts/up.sh (they finish what they are doing first).
cd "$(dirname "$0")/.."
for name in api worker; do
  pidfile="var/run/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    echo "stopped $name"
  fi
  rm -f "$pidfile"
done
