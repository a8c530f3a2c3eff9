# bench/server.sh: sourced by bench/burst.sh and bench/growth.sh: a server of their own,
# started in $w (its log $w/server.log, its pid $w/server.pid) on ISCGOBS_LISTEN ($base).
start() {
  "$BIN" serve </dev/null >>"$w/server.log" 2>&1 &
  echo $! >"$w/server.pid"
  for _ in $(seq 1 100); do curl -fsS "$base/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
}
# Stop it and wait (at most 60 s) until it has exited: the next start needs the port.
stop() {
  local pid
  pid=$(cat "$w/server.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$w/server.pid"
}
# Its peak resident memory so far, MiB.
hwm() { awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$(cat "$w/server.pid")/status"; }
