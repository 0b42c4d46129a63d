# shellcheck shell=bash
# Sourced by .ci/run before llm-bench/tests/push.rs: a Prometheus Pushgateway and an InfluxDB
# 1.x (Debian's `prometheus-pushgateway` and `influxdb`, installed when missing), each on
# 127.0.0.1 at a port the kernel picks (port 0, read back from its log), with its data in a
# temporary directory. Exports LLM_BENCH_TEST_PUSHGATEWAY_URL and LLM_BENCH_TEST_INFLUXDB_URL;
# both servers are stopped, and the directory removed, when the sourcing shell exits.

if ! command -v prometheus-pushgateway >/dev/null 2>&1 || ! command -v influxd >/dev/null 2>&1; then
  echo "== installing prometheus-pushgateway and influxdb"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-pushgateway influxdb >/dev/null
  # Debian's packages start their services where an init system runs: stop those, the tests
  # use their own servers.
  if command -v systemctl >/dev/null 2>&1; then
    systemctl stop prometheus-pushgateway influxdb >/dev/null 2>&1 || true
  fi
fi

llm_bench_ts_dir="$(mktemp -d "${TMPDIR:-/tmp}/llm-bench-time-series.XXXXXX")"
llm_bench_ts_pids=()

llm_bench_ts_stop() {
  local pid
  for pid in "${llm_bench_ts_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${llm_bench_ts_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  llm_bench_ts_pids=()
  rm -rf "$llm_bench_ts_dir"
}
trap llm_bench_ts_stop EXIT

# llm_bench_ts_port NAME LOG PATTERN: waits (at most 30 s) for LOG to have a line matching the
# extended regular expression PATTERN, whose first group is host:port, and prints host:port.
# On a timeout, or when the server exits first, prints its log to stderr and fails.
llm_bench_ts_port() {
  local name="$1" log="$2" pattern="$3" pid="$4" addr i
  for i in $(seq 300); do
    addr="$(sed -nE "s/.*${pattern}.*/\\1/p" "$log" 2>/dev/null | head -n 1)"
    if [ -n "$addr" ]; then
      echo "$addr"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: $name exited before listening (after ${i} tries); its log:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "error: $name did not say where it listens within 30 s; its log:" >&2
  cat "$log" >&2
  return 1
}

# The Pushgateway, in memory only (no persistence file).
prometheus-pushgateway --web.listen-address=127.0.0.1:0 --persistence.file= \
  --log.level=info >"$llm_bench_ts_dir/pushgateway.log" 2>&1 &
llm_bench_ts_pids+=("$!")
llm_bench_ts_addr="$(llm_bench_ts_port "prometheus-pushgateway" "$llm_bench_ts_dir/pushgateway.log" \
  'msg="Listening on" address=([0-9.]+:[0-9]+)' "$!")"
export LLM_BENCH_TEST_PUSHGATEWAY_URL="http://$llm_bench_ts_addr"

# InfluxDB 1.x: its HTTP API and its RPC (backup) service on 127.0.0.1, nothing reported home.
mkdir -p "$llm_bench_ts_dir/influxdb"
cat >"$llm_bench_ts_dir/influxdb.conf" <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:0"
[meta]
  dir = "$llm_bench_ts_dir/influxdb/meta"
[data]
  dir = "$llm_bench_ts_dir/influxdb/data"
  wal-dir = "$llm_bench_ts_dir/influxdb/wal"
[http]
  bind-address = "127.0.0.1:0"
EOF
influxd -config "$llm_bench_ts_dir/influxdb.conf" >"$llm_bench_ts_dir/influxdb.log" 2>&1 &
llm_bench_ts_pids+=("$!")
llm_bench_ts_addr="$(llm_bench_ts_port "influxd" "$llm_bench_ts_dir/influxdb.log" \
  'msg="Listening on HTTP".* addr=([0-9.]+:[0-9]+)' "$!")"
export LLM_BENCH_TEST_INFLUXDB_URL="http://$llm_bench_ts_addr"

echo "-- Pushgateway at $LLM_BENCH_TEST_PUSHGATEWAY_URL, InfluxDB at $LLM_BENCH_TEST_INFLUXDB_URL"
unset llm_bench_ts_addr
