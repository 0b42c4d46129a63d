#!/usr/bin/env bash
# Runs the shell steps of docs/github/llm-bench-pr.yml (and llm-bench-baseline.yml) as a
# pull-request job would, in a throwaway git repository under /tmp made of the examples
# crate (its llm-bench dependency: this checkout's llm-bench/), against the built-in
# simulated endpoint (no secret set), with GitHub's variables faked and `gh` replaced by
# .ci/gh-stub, which records its calls. Asserts the comment (created once, then updated),
# and the gate's exit statuses.
#
# The paired comparison (`--compare-with`) runs with LLM_BENCH_WORKFLOW_PAIRED=1. Without
# it, the workflow's paired step is stood in for by the unpaired flow of
# llm-bench-baseline.yml: the merge base measures and exports a baseline, the pull request
# imports it and compares with it; every other step is llm-bench-pr.yml's own.
#
# Builds go to one target dir shared by the throwaway builds, the merge base's and the head's
# (the workflow copies the merge base's binary out of it), and kept between runs:
# LLM_BENCH_WORKFLOW_TARGET (default ~/.cache/llm-bench/workflow-target).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=venv.sh
. "$root/.ci/venv.sh"
py="$LLM_BENCH_VENV/bin/python3"
steps="$root/.ci/workflow_steps.py"
pr_yml="$root/docs/github/llm-bench-pr.yml"
baseline_yml="$root/docs/github/llm-bench-baseline.yml"
paired="${LLM_BENCH_WORKFLOW_PAIRED:-0}"
# Fewer samples than the attributes' (10 a side is the least the gate decides on).
bench_args="${LLM_BENCH_WORKFLOW_ARGS:---samples 12 --warmup 1 --quiet}"

export CARGO_TARGET_DIR="${LLM_BENCH_WORKFLOW_TARGET:-$HOME/.cache/llm-bench/workflow-target}"
work=$(mktemp -d /tmp/llm-bench-workflow.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "workflow-steps: FAILED: $*" >&2; exit 1; }

# -- the throwaway repository: the examples crate on its own, with a base and a head commit
repo="$work/repo"
mkdir -p "$repo"
cp -r "$root/examples/src" "$root/examples/benches" "$repo/"
cp "$root/Cargo.lock" "$repo/"
printf '/target\n' > "$repo/.gitignore"
# examples/Cargo.toml with the workspace's values filled in and llm-bench by absolute path.
"$py" - "$root" > "$repo/Cargo.toml" <<'PY'
import re, sys, tomllib
root = sys.argv[1]
ws = tomllib.load(open(f"{root}/Cargo.toml", "rb"))["workspace"]
def inline(v):
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {inline(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(inline(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
out, section = [], None
for line in open(f"{root}/examples/Cargo.toml").read().splitlines():
    m = re.match(r"^\[(.*)\]$", line)
    if m:
        section = m.group(1)
    m = re.match(r"^([A-Za-z0-9_-]+)\.workspace = true$", line)
    if m:
        k = m.group(1)
        v = ws["package"][k] if section == "package" else dict(ws["dependencies"][k]) if isinstance(ws["dependencies"][k], dict) else {"version": ws["dependencies"][k]}
        if section != "package" and "path" in v:
            v = {"path": f"{root}/{v['path']}"}
        line = f"{k} = {inline(v)}"
    out.append(line)
out.append("\n# A workspace of its own.\n[workspace]")
print("\n".join(out))
PY
git() { command git -C "$repo" -c user.name=ci -c user.email=ci@example.invalid -c init.defaultBranch=main "$@"; }
git init -q
git add -A
git commit -q -m base
git checkout -q -b feature
git commit -q --allow-empty -m "head: changes nothing"
# What actions/checkout leaves for a pull request: the base branch as origin/main, and HEAD
# at GitHub's merge commit of the pull request into it.
git update-ref refs/remotes/origin/main main
git checkout -q --detach main
git merge -q --no-ff -m "Merge feature into main" feature

# -- GitHub's environment, faked
export GH_STUB_DIR="$work/gh"
mkdir -p "$GH_STUB_DIR/bin" "$GH_STUB_DIR/artifacts/llm-bench-baseline"
ln -s "$root/.ci/gh-stub" "$GH_STUB_DIR/bin/gh"
export PATH="$GH_STUB_DIR/bin:$PATH"
printf '{"number": 17, "pull_request": {"number": 17, "head": {"repo": {"full_name": "acme/bot"}}}}\n' > "$work/event.json"
export GITHUB_ACTIONS=true CI=true GITHUB_EVENT_NAME=pull_request GITHUB_EVENT_PATH="$work/event.json" \
  GITHUB_BASE_REF=main GITHUB_HEAD_REF=feature GITHUB_REF=refs/pull/17/merge \
  GITHUB_REPOSITORY=acme/bot GITHUB_SERVER_URL=https://github.com GITHUB_TOKEN=fake-token \
  GITHUB_WORKSPACE="$repo" GITHUB_RUN_ATTEMPT=1
# A real endpoint in this shell's environment is not the workflow's (its env: sets them).
unset OPENAI_BASE_URL OPENAI_API_KEY LLM_BENCH_BASE_URL LLM_BENCH_PROVIDER LLM_BENCH_MODEL

# One job: `run_job N BENCH_STATUS_EXPECTED [--env NAME=VALUE for the measuring step]`.
run_job() {
  local n=$1 expected=$2
  shift 2
  export GITHUB_RUN_ID="100$n" RUNNER_TEMP="$work/run$n/temp" GITHUB_STEP_SUMMARY="$work/run$n/step-summary.md"
  mkdir -p "$RUNNER_TEMP"
  : > "$GITHUB_STEP_SUMMARY"
  local state="$work/run$n/state.json"
  local env=(--env "LLM_BENCH_ARGS=$bench_args" --env "LLM_BENCH_BASE_TARGET_DIR=$CARGO_TARGET_DIR")
  step() { "$py" "$steps" run "$1" bench "$2" --state "$state" "${env[@]}" "${@:3}"; }
  echo "== job $n ($([ "$paired" = 1 ] && echo paired || echo unpaired))"
  rm -rf "$repo/target/llm-bench"
  step "$pr_yml" "Find the merge base"
  step "$pr_yml" "Build the merge base's bench binary"
  local base_bin
  base_bin=$(jq -r '.steps.base.outputs.bin' "$state")
  [ -x "$base_bin" ] || fail "job $n: no merge-base binary at '$base_bin'"
  case "$base_bin" in "$CARGO_TARGET_DIR"/*) fail "job $n: the merge-base binary was not copied out of the shared target dir";; esac
  step "$pr_yml" "Build the pull request's bench binary"
  if [ "$paired" = 1 ]; then
    step "$pr_yml" "Measure the merge base and the pull request in pairs" "$@"
  else
    # The push job of llm-bench-baseline.yml, at the merge base (in its worktree).
    GITHUB_WORKSPACE="$RUNNER_TEMP/merge-base" GITHUB_EVENT_NAME=push GITHUB_REF=refs/heads/main \
      "$py" "$steps" run "$baseline_yml" baseline "Measure main and export its baseline" \
      --state "$state" "${env[@]}"
    cp "$RUNNER_TEMP/llm-bench-baseline.json" "$GH_STUB_DIR/artifacts/llm-bench-baseline/"
    rm "$RUNNER_TEMP/llm-bench-baseline.json"
    # Its pull-request job, at the head; its step `bench` stands in for the paired one.
    "$py" "$steps" run "$baseline_yml" compare "Download the main branch's latest baseline" \
      --state "$state" "${env[@]}"
    "$py" "$steps" run "$baseline_yml" compare "Compare with main" --state "$state" "${env[@]}" "$@"
  fi
  local status
  status=$(jq -r '.steps.bench.outputs.status' "$state")
  [ "$status" = "$expected" ] || fail "job $n: the bench step's status is $status, expected $expected"
  [ -s "$repo/target/llm-bench/report/summary.md" ] || fail "job $n: no target/llm-bench/report/summary.md"
  [ -s "$repo/target/llm-bench/report/index.html" ] || fail "job $n: no target/llm-bench/report/index.html"
  grep -q . "$GITHUB_STEP_SUMMARY" || fail "job $n: nothing in \$GITHUB_STEP_SUMMARY"
  step "$pr_yml" "Comment on the pull request"
  local gate=0
  step "$pr_yml" "Fail on a regression or a failed run" || gate=$?
  [ "$gate" = "$expected" ] || fail "job $n: the gate exited $gate, expected $expected"
  cp "$repo/target/llm-bench/report/summary.md" "$work/run$n/summary.md"
}

posted_body() { jq -r .body "$GH_STUB_DIR/calls.$1.input"; }
assert_comment() { # CALL_NUMBER RUN
  local body
  body=$(posted_body "$1")
  [ "$(head -n 1 <<< "$body")" = '<!-- llm-bench -->' ] || fail "comment $1 does not start with the marker"
  "$py" -c 'import sys; sys.exit(open(sys.argv[1]).read() not in open(sys.argv[2]).read())' \
    "$work/run$2/summary.md" <(posted_body "$1") || fail "comment $1 does not hold run $2's summary.md"
  jq -e '. == [] or length == 1' "$GH_STUB_DIR/comments.json" >/dev/null || fail "more than one comment"
}

start=$SECONDS
# 1: the head changes nothing: no regression, a new comment, the job passes.
run_job 1 0
grep -q '^api --silent --method POST repos/acme/bot/issues/17/comments --input ' "$GH_STUB_DIR/calls" \
  || fail "job 1 posted no comment: $(cat "$GH_STUB_DIR/calls")"
post=$(grep -n -- '--method POST' "$GH_STUB_DIR/calls" | cut -d: -f1)
assert_comment "$post" 1
grep -q 'no gated regression' <(posted_body "$post") || fail "comment 1 does not say 'no gated regression'"
calls_after_1=$(wc -l < "$GH_STUB_DIR/calls")

# 2: the same pull request again: the comment is updated, not a second one made. Unpaired,
# the pull request's side runs against a 40% slower simulated endpoint: it regresses (3)
# and the job fails. (Paired, both sides share one endpoint, so it cannot slow one side.)
if [ "$paired" = 1 ]; then
  run_job 2 0
else
  run_job 2 3 --env LLM_BENCH_MOCK_PROFILE=scale=1.4
fi
tail -n +"$((calls_after_1 + 1))" "$GH_STUB_DIR/calls" | grep -q -- '--method POST' && fail "job 2 created another comment"
patch=$(grep -n '^api --silent --method PATCH repos/acme/bot/issues/comments/1001 ' "$GH_STUB_DIR/calls" | cut -d: -f1)
[ -n "$patch" ] || fail "job 2 did not update comment 1001: $(cat "$GH_STUB_DIR/calls")"
assert_comment "$patch" 2
jq -e 'length == 1' "$GH_STUB_DIR/comments.json" >/dev/null || fail "not exactly one comment on the pull request"

# The gate alone, for each status the bench step can leave.
for case in 0:0 3:3 4:4 1:1 2:2 130:130; do
  given=${case%%:*} want=${case##*:}
  state="$work/gate-$given.json"
  "$py" "$steps" set-output "$state" bench "status=$given"
  got=0
  "$py" "$steps" run "$pr_yml" bench "Fail on a regression or a failed run" --state "$state" >/dev/null || got=$?
  [ "$got" = "$want" ] || fail "the gate exited $got for bench status $given, expected $want"
done
echo "workflow-steps: 2 jobs and 6 gate statuses passed in $((SECONDS - start)) s (paired: $paired)"
