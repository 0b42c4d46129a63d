#!/usr/bin/env python3
"""Runs the `run:` steps of a GitHub Actions workflow file here, as a runner would, and checks
them. Used by .ci/workflow-steps.sh (running) and .ci/run (checking); needs PyYAML.

  workflow_steps.py run WORKFLOW JOB STEP_NAME --state FILE [--env NAME=VALUE]...
      Runs one step's `run:` block with `bash --noprofile --norc -eo pipefail` (the shell
      `defaults.run.shell: bash` selects) in $GITHUB_WORKSPACE, with the workflow's, the job's
      and the step's `env:` (expressions evaluated, see `evaluate`), then each --env. The
      step's outputs ($GITHUB_OUTPUT) and $GITHUB_ENV go into the state file, where later
      steps' `steps.ID.outputs.NAME` find them. Exits with the step's status.
  workflow_steps.py set-output STATE_FILE STEP_ID NAME=VALUE
      Records an output as if step STEP_ID had written it.
  workflow_steps.py check WORKFLOW...
      Every `run:` block through shellcheck (expressions replaced by placeholders, as
      actionlint does), every `steps.ID` reference to an earlier step of the same job, and
      the steps of the same name (the comment and the gate, in both files) must be the same.

The runner's own variables (GITHUB_WORKSPACE, RUNNER_TEMP, GITHUB_EVENT_PATH, ...) come from
the environment this runs in; secrets and vars evaluate to "" (none set).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$")


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def job_steps(workflow, job):
    try:
        return workflow["jobs"][job].get("steps", [])
    except KeyError:
        sys.exit(f"workflow_steps.py: no job `{job}`")


def find_step(workflow, job, name):
    found = [s for s in job_steps(workflow, job) if s.get("name") == name]
    if len(found) != 1:
        names = [s.get("name") for s in job_steps(workflow, job) if "name" in s]
        sys.exit(f"workflow_steps.py: {len(found)} steps named `{name}` in job `{job}`; named: {names}")
    if "run" not in found[0]:
        sys.exit(f"workflow_steps.py: step `{name}` has no `run:`")
    return found[0]


def evaluate(expr, state, env_ctx):
    """The value of a `${{ }}` expression that is a property path (all this needs)."""
    if not PATH.match(expr):
        raise ValueError(f"unsupported expression `{expr}`")
    parts = expr.split(".")
    head, rest = parts[0], parts[1:]
    e = os.environ
    if head in ("secrets", "vars"):
        return ""
    if head == "env":
        return env_ctx.get(rest[0], "")
    if head == "runner" and rest == ["temp"]:
        return e["RUNNER_TEMP"]
    if head == "steps" and len(rest) == 3 and rest[1] == "outputs":
        if rest[0] not in state["steps"]:
            raise ValueError(f"`{expr}`: step `{rest[0]}` has not run")
        return state["steps"][rest[0]]["outputs"].get(rest[2], "")
    if head == "github":
        if rest and rest[0] == "event":
            with open(e["GITHUB_EVENT_PATH"]) as f:
                value = json.load(f)
            for p in rest[1:]:
                value = value.get(p) if isinstance(value, dict) else None
            return "" if value is None else str(value)
        if len(rest) == 1:
            var = "GITHUB_" + rest[0].upper()
            if var in e:
                return e[var]
    raise ValueError(f"`{expr}`: not faked here")


def substitute(value, state, env_ctx):
    return EXPR.sub(lambda m: evaluate(m.group(1), state, env_ctx), str(value))


def parse_file_commands(path):
    """`NAME=VALUE` and `NAME<<DELIMITER` lines of $GITHUB_OUTPUT / $GITHUB_ENV."""
    out = {}
    lines = open(path).read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            value = []
            while i < len(lines) and lines[i] != delim:
                value.append(lines[i])
                i += 1
            i += 1
            out[name] = "\n".join(value)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        elif line.strip():
            raise ValueError(f"{path}: invalid line `{line}`")
    return out


def read_state(path):
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {"steps": {}, "env": {}}


def write_state(path, state):
    with open(path, "w") as f:
        json.dump(state, f, indent=1)


def cmd_run(args):
    workflow_path, job, name = args.pop(0), args.pop(0), args.pop(0)
    state_path, overrides = None, []
    while args:
        flag = args.pop(0)
        if flag == "--state":
            state_path = args.pop(0)
        elif flag == "--env":
            overrides.append(args.pop(0))
        else:
            sys.exit(f"workflow_steps.py: unknown argument {flag}")
    workflow = load(workflow_path)
    step = find_step(workflow, job, name)
    shell = step.get("shell", workflow.get("defaults", {}).get("run", {}).get("shell"))
    if shell != "bash":
        sys.exit(f"workflow_steps.py: step `{name}` does not run under `shell: bash`")
    state = read_state(state_path)

    env_ctx = dict(state["env"])
    for scope in (workflow, workflow["jobs"][job], step):
        for k, v in (scope.get("env") or {}).items():
            env_ctx[k] = substitute("" if v is None else v, state, env_ctx)
    for o in overrides:
        k, v = o.split("=", 1)
        env_ctx[k] = v
    tmp = tempfile.mkdtemp(prefix="step-", dir=os.environ["RUNNER_TEMP"])
    script = os.path.join(tmp, "run.sh")
    with open(script, "w") as f:
        f.write(step["run"])
    output, envfile = os.path.join(tmp, "output"), os.path.join(tmp, "env")
    open(output, "w").close()
    open(envfile, "w").close()
    env = dict(os.environ)
    env.update(env_ctx)
    env.update(GITHUB_OUTPUT=output, GITHUB_ENV=envfile)

    print(f"::group::step `{name}` ({os.path.basename(workflow_path)}, job {job})", flush=True)
    status = subprocess.call(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
        cwd=os.environ["GITHUB_WORKSPACE"],
        env=env,
    )
    print(f"::endgroup:: step `{name}` exited {status}", flush=True)
    if "id" in step:
        state["steps"][step["id"]] = {"outputs": parse_file_commands(output)}
    state["env"].update(parse_file_commands(envfile))
    write_state(state_path, state)
    shutil.rmtree(tmp)
    return status


def cmd_set_output(args):
    state_path, step_id, pair = args
    k, v = pair.split("=", 1)
    state = read_state(state_path)
    state["steps"].setdefault(step_id, {"outputs": {}})["outputs"][k] = v
    write_state(state_path, state)
    return 0


def cmd_check(paths):
    problems = []
    shellcheck = shutil.which("shellcheck")
    if not shellcheck:
        sys.exit("workflow_steps.py: shellcheck is not on PATH")
    by_name = {}
    checked = 0
    for path in paths:
        workflow = load(path)
        for job_id, job in workflow["jobs"].items():
            seen_ids = set()
            for step in job.get("steps", []):
                where = f"{path}: job {job_id}, step `{step.get('name') or step.get('uses')}`"
                texts = [step.get("run", ""), step.get("if", "")]
                texts += [str(v) for v in (step.get("env") or {}).values()]
                texts += [str(v) for v in (step.get("with") or {}).values()]
                for text in texts:
                    for ref in re.findall(r"steps\.([A-Za-z0-9_-]+)\.", str(text)):
                        if ref not in seen_ids:
                            problems.append(f"{where}: `steps.{ref}` is no earlier step")
                if "id" in step:
                    seen_ids.add(step["id"])
                if "run" not in step:
                    continue
                if EXPR.search(step["run"]):
                    problems.append(f"{where}: an expression inside `run:` (pass it through `env:`)")
                by_name.setdefault(step["name"], []).append((where, step))
                # Placeholders as actionlint's: underscores of the same length.
                text = EXPR.sub(lambda m: "_" * len(m.group(0)), step["run"])
                result = subprocess.run(
                    [shellcheck, "--shell=bash", "--severity=style", "-"],
                    input=text, capture_output=True, text=True,
                )
                checked += 1
                if result.returncode != 0:
                    problems.append(f"{where}: shellcheck:\n{result.stdout}{result.stderr}")
    for name, steps in by_name.items():
        for where, step in steps[1:]:
            if step != steps[0][1]:
                problems.append(f"{where}: differs from {steps[0][0]}")
    for p in problems:
        print(p)
    print(f"workflow_steps.py check: {checked} run blocks shellchecked, {len(problems)} problems")
    return 1 if problems else 0


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    cmd = args.pop(0)
    if cmd == "run":
        return cmd_run(args)
    if cmd == "set-output":
        return cmd_set_output(args)
    if cmd == "check":
        return cmd_check(args)
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
