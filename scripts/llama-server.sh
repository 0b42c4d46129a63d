#!/usr/bin/env bash
# A real inference server for the tests: llama.cpp's llama-server, built from the llama.cpp
# source that PyPI's llama-cpp-python sdist carries (vendor/llama.cpp), serving a tiny Llama
# made here by scripts/tiny_llama_gguf.py (random weights, a tokenizer trained on Debian's
# licence texts: gibberish, but real tokens through the real OpenAI- and Anthropic-compatible
# streaming endpoints, /metrics and the `timings` object).
#
#   scripts/llama-server.sh build
#       Installs what is missing (apt: cmake, build-essential, python3-venv, curl; a venv with
#       gguf, sentencepiece and numpy), downloads the sdist, builds llama-server (about 7
#       minutes on 2 cores) and makes the model. Everything is cached under
#       $LLM_BENCH_CACHE/llama/ (default ~/.cache/llm-bench/llama/): the binary keyed by the
#       llama-cpp-python version, the build flags and the CPU; the model by a hash of the model
#       script and the venv's requirements. A second build does nothing (0.02 s).
#   scripts/llama-server.sh start [-np N] [LLAMA-SERVER ARGS...]
#       Builds if needed, then starts llama-server on 127.0.0.1 at a port the kernel picks,
#       with N slots (default 16), a context of N x 512 tokens (512 per slot), --metrics,
#       the model named "tiny-llama" in the API, and the given arguments last (so they
#       override). Waits (at most $LLM_BENCH_LLAMA_START_TIMEOUT s, default 60) for
#       GET /health to answer 200, then prints its base URL, http://127.0.0.1:PORT, as the
#       last (and only) line on stdout; progress goes to stderr.
#       Its PID, URL and log are in $LLM_BENCH_LLAMA_STATE (default
#       ${TMPDIR:-/tmp}/llm-bench-llama-server/): pid, url, server.log.
#   scripts/llama-server.sh stop
#       Stops the server that start started (SIGTERM, SIGKILL after 10 s).
#   scripts/llama-server.sh status
#       Prints the running server's URL, or fails when none runs.
#
# In CI:
#   LLM_BENCH_LLAMA_SERVER="$(scripts/llama-server.sh start -np 4)"
#   export LLM_BENCH_LLAMA_SERVER
#   trap 'scripts/llama-server.sh stop' EXIT
#
# Nothing but package registries is contacted (apt, PyPI for the venv and the sdist); the
# server itself runs with --offline and listens on 127.0.0.1 only.
set -euo pipefail

# llama-cpp-python 0.3.36 vendors llama.cpp at commit 0c1e57098 (its CHANGELOG.md).
LLAMA_CPP_PYTHON_VERSION="0.3.36"
LLAMA_CPP_PYTHON_SHA256="832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
# The model script's venv: gguf (the same version as llama.cpp's own gguf-py in that source)
# and its dependencies, all pinned, wheels only.
VENV_REQUIREMENTS="gguf==0.19.0 sentencepiece==0.2.1 numpy==2.3.5 PyYAML==6.0.4 tqdm==4.70.1 \
requests==2.34.2 charset-normalizer==3.5.3 idna==3.21 urllib3==2.8.0 certifi==2026.10.19.post1"
# Only the server: no web UI (whose build would download one), no HTTPS, no curl, one static
# binary that needs nothing beside it.
CMAKE_FLAGS=(
  -DCMAKE_BUILD_TYPE=Release
  -DBUILD_SHARED_LIBS=OFF
  -DLLAMA_BUILD_SERVER=ON
  -DLLAMA_BUILD_TOOLS=ON
  -DLLAMA_BUILD_EXAMPLES=OFF
  -DLLAMA_BUILD_TESTS=OFF
  -DLLAMA_BUILD_UI=OFF
  -DLLAMA_USE_PREBUILT_UI=OFF
  -DLLAMA_CURL=OFF
  -DLLAMA_OPENSSL=OFF
)

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODEL_SCRIPT="$SCRIPT_DIR/tiny_llama_gguf.py"
CACHE_DIR="${LLM_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llm-bench}/llama"
STATE_DIR="${LLM_BENCH_LLAMA_STATE:-${TMPDIR:-/tmp}/llm-bench-llama-server}"
START_TIMEOUT="${LLM_BENCH_LLAMA_START_TIMEOUT:-60}"
VENV="$CACHE_DIR/venv"

say() { echo "== $*" >&2; }
die() {
  echo "error: $*" >&2
  exit 1
}

sha256_of() { sha256sum | cut -c1-16; }

# The binary's cache key: the version, the build flags, and the CPU (ggml builds for the CPU
# it is built on, so a cache carried to another machine builds again).
binary_dir() {
  local cpu
  cpu="$(uname -m) $(grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || true)"
  echo "$CACHE_DIR/llama-server-$LLAMA_CPP_PYTHON_VERSION-$(printf '%s\n' "${CMAKE_FLAGS[@]}" "$cpu" | sha256_of)"
}
BIN_DIR="$(binary_dir)"
SERVER_BIN="$BIN_DIR/llama-server"
MODEL="$CACHE_DIR/models/tiny-llama-$({ cat "$MODEL_SCRIPT"; echo "$VENV_REQUIREMENTS"; } | sha256_of).gguf"

apt_install() {
  say "installing $* (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

install_tools() {
  local missing=()
  command -v cmake >/dev/null 2>&1 || missing+=(cmake)
  { command -v g++ >/dev/null 2>&1 && command -v make >/dev/null 2>&1; } || missing+=(build-essential)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  # Debian's python3 has no venv module (nor ensurepip) without python3-venv.
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
}

ensure_venv() {
  if [ "$(cat "$VENV/.llm-bench-requirements" 2>/dev/null)" = "$VENV_REQUIREMENTS" ]; then
    return 0
  fi
  say "installing the model script's venv into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086 # a list of requirements
  "$VENV/bin/pip" install -q --disable-pip-version-check --only-binary=:all: $VENV_REQUIREMENTS
  echo "$VENV_REQUIREMENTS" >"$VENV/.llm-bench-requirements"
}

# Downloads the sdist from PyPI (its address from the simple index, the file checked against
# the pinned SHA-256). Not `pip download`: it would build the sdist's build dependencies (cmake,
# ninja) from source to read its metadata.
download_sdist() {
  local out="$1" name="llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION.tar.gz" url
  url="$(curl -fsSL -H 'Accept: application/vnd.pypi.simple.v1+json' \
    https://pypi.org/simple/llama-cpp-python/ | python3 -c '
import json, sys
name = sys.argv[1]
for f in json.load(sys.stdin)["files"]:
    if f["filename"] == name:
        print(f["url"])
        break
' "$name")"
  [ -n "$url" ] || die "PyPI lists no $name"
  say "downloading $name"
  curl -fsSL --retry 3 -o "$out" "$url"
  echo "$LLAMA_CPP_PYTHON_SHA256  $out" | sha256sum -c --quiet - || die "$name: wrong SHA-256"
}

build_server() {
  if [ -x "$SERVER_BIN" ]; then
    return 0
  fi
  local work commit false_bin jobs
  work="$CACHE_DIR/build-tmp"
  rm -rf "$work"
  mkdir -p "$work"
  download_sdist "$work/sdist.tar.gz"
  tar -xzf "$work/sdist.tar.gz" -C "$work"
  local src="$work/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION"
  # The sdist has no .git: the commit comes from its changelog's entry for this version.
  commit="$(awk -v v="## [$LLAMA_CPP_PYTHON_VERSION]" '
    index($0, v) == 1 { f = 1; next }
    /^## \[/ { if (f) exit }
    f && match($0, /llama\.cpp@[0-9a-f]+/) { print substr($0, RSTART + 10, RLENGTH - 10); exit }
  ' "$src/CHANGELOG.md")"
  jobs="${LLM_BENCH_LLAMA_JOBS:-$(nproc)}"
  say "building llama-server (about 7 minutes on 2 cores; llama.cpp ${commit:-unknown} from llama-cpp-python $LLAMA_CPP_PYTHON_VERSION, $jobs jobs; log: $work/build.log)"
  # No git: the source is no repository (and must not pick up one it happens to lie in).
  false_bin="$(command -v false)"
  if ! {
    cmake -S "$src/vendor/llama.cpp" -B "$work/build" "${CMAKE_FLAGS[@]}" \
      -DLLAMA_BUILD_COMMIT="${commit:-unknown}" -DLLAMA_BUILD_NUMBER=0 \
      -DGIT_EXECUTABLE="$false_bin" -DGIT_EXE="$false_bin" &&
      cmake --build "$work/build" --target llama-server -j "$jobs"
  } >"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log" >&2
    die "the llama-server build failed; its log: $work/build.log"
  fi
  mkdir -p "$BIN_DIR.tmp"
  cp "$work/build/bin/llama-server" "$BIN_DIR.tmp/llama-server"
  echo "llama.cpp ${commit:-unknown} from llama-cpp-python $LLAMA_CPP_PYTHON_VERSION" >"$BIN_DIR.tmp/VERSION"
  rm -rf "$BIN_DIR"
  mv "$BIN_DIR.tmp" "$BIN_DIR"
  rm -rf "$work"
  say "built $SERVER_BIN"
}

build_model() {
  if [ -f "$MODEL" ]; then
    return 0
  fi
  ensure_venv
  say "making the tiny model $MODEL"
  mkdir -p "$(dirname "$MODEL")"
  "$VENV/bin/python3" "$MODEL_SCRIPT" "$MODEL" >&2
}

cmd_build() {
  if [ -x "$SERVER_BIN" ] && [ -f "$MODEL" ]; then
    return 0
  fi
  mkdir -p "$CACHE_DIR"
  # One build at a time per cache (two CI jobs on one machine wait for each other).
  exec 9>"$CACHE_DIR/.lock"
  if command -v flock >/dev/null 2>&1; then
    flock 9
  fi
  install_tools
  build_server
  build_model
  exec 9>&-
}

# The PID of the server this state dir's start started, if it still runs.
running_pid() {
  local pid
  pid="$(cat "$STATE_DIR/pid" 2>/dev/null)" || return 1
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    return 1
  fi
  # Not some other process that got the PID since.
  grep -q llama-server "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

cmd_start() {
  local np=16 pid
  local args=()
  while [ "$#" -gt 0 ]; do
    case "$1" in
      -np | --parallel)
        [ "$#" -ge 2 ] || die "$1 needs a number"
        np="$2"
        shift 2
        ;;
      *)
        args+=("$1")
        shift
        ;;
    esac
  done
  case "$np" in '' | *[!0-9]* | 0) die "-np wants a positive number, not '$np'" ;; esac

  if pid="$(running_pid)"; then
    die "llama-server already runs (PID $pid, $(cat "$STATE_DIR/url" 2>/dev/null)): stop it first"
  fi
  cmd_build

  mkdir -p "$STATE_DIR"
  rm -f "$STATE_DIR/pid" "$STATE_DIR/url"
  local log="$STATE_DIR/server.log"
  say "starting llama-server with $np slots (log: $log)"
  # Port 0: the kernel picks a free port, which the server logs ("listening on http://...").
  # stdin, stdout and stderr away from the caller's, so that `$(... start)` returns.
  nohup "$SERVER_BIN" --host 127.0.0.1 --port 0 -m "$MODEL" -np "$np" -c "$((np * 512))" \
    --alias tiny-llama --metrics --no-webui --offline ${args[@]+"${args[@]}"} </dev/null >"$log" 2>&1 &
  pid=$!
  echo "$pid" >"$STATE_DIR/pid"

  local url="" code="" i
  for i in $(seq "$((START_TIMEOUT * 10))"); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$log" >&2
      rm -f "$STATE_DIR/pid"
      die "llama-server exited before it was ready (after $((i / 10)) s); its log: $log"
    fi
    if [ -z "$url" ]; then
      url="$(sed -nE 's#.*listening on (http://127\.0\.0\.1:[0-9]+).*#\1#p' "$log" | head -n 1)"
    fi
    if [ -n "$url" ]; then
      code="$(curl -s --noproxy '*' --max-time 2 -o /dev/null -w '%{http_code}' "$url/health" || true)"
      if [ "$code" = 200 ]; then
        echo "$url" >"$STATE_DIR/url"
        say "llama-server is ready at $url (PID $pid)"
        echo "$url"
        return 0
      fi
    fi
    sleep 0.1
  done
  tail -n 40 "$log" >&2
  kill "$pid" 2>/dev/null || true
  rm -f "$STATE_DIR/pid"
  die "llama-server was not ready within $START_TIMEOUT s (url: ${url:-none yet}, last /health: ${code:-none}); its log: $log"
}

cmd_stop() {
  local pid i
  if ! pid="$(running_pid)"; then
    say "no llama-server runs (state: $STATE_DIR)"
    rm -f "$STATE_DIR/pid" "$STATE_DIR/url"
    return 0
  fi
  kill "$pid" 2>/dev/null || true
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "llama-server (PID $pid) still runs after 10 s: SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$STATE_DIR/pid" "$STATE_DIR/url"
  say "stopped llama-server (PID $pid, after $((i / 10)).$((i % 10)) s)"
}

cmd_status() {
  local pid
  pid="$(running_pid)" || die "no llama-server runs (state: $STATE_DIR)"
  say "llama-server runs (PID $pid)"
  cat "$STATE_DIR/url"
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

[ "$#" -ge 1 ] || usage
command="$1"
shift
case "$command" in
  build)
    [ "$#" -eq 0 ] || usage
    cmd_build
    say "llama-server: $SERVER_BIN ($(cat "$BIN_DIR/VERSION"))"
    say "model: $MODEL ($(wc -c <"$MODEL") bytes)"
    ;;
  start) cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) usage ;;
esac
