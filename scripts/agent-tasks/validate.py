#!/usr/bin/env python3
"""Validate the `fit bench agent` task files (basic.yaml, intermediate.yaml, advanced.yaml).

Checks, for every task:
  * schema: 1 at the top, only known keys, ids unique / kebab-case / prefixed by the tier,
    tier valid and matching the file it is in, 1 <= maxTurns <= 10;
  * files: path -> text, 2..5 files, each under 60 lines; prompt + files under ~3000 tokens;
  * commands: each rule has match / whenChecksPass / otherwise ({exitCode:int, output:str}),
    and the last rule is the "" fallback;
  * checks: each has `file` and exactly one of contains / notContains / matches; regexes
    compile; at least one check unless the task has `answer` (question tasks have no checks);
  * every check FAILS on the initial files (missing file: contains/matches fail,
    notContains passes);
  * the `reference` overlay (path -> full content) makes ALL checks pass;
  * answer.anyOf is a non-empty list of non-empty strings.

With --run-tests, additionally materialises each project that has a tests/ folder and runs
pytest on the initial files and on the reference overlay: the reference must pass, and the exit
codes must agree with the simulated `pytest` rule (otherwise / whenChecksPass).

Exit status 0 when everything holds, 1 otherwise.
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Catalog", "agent-tasks")
TIERS = ("basic", "intermediate", "advanced")
MIN_PER_TIER = 4
MIN_TOTAL = 14
TASK_KEYS_REQUIRED = {"id", "tier", "title", "maxTurns", "prompt", "files", "commands"}
TASK_KEYS_OPTIONAL = {"checks", "answer", "reference"}
CHECK_KINDS = ("contains", "notContains", "matches")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_FILES, MIN_FILES, MAX_LINES, MAX_TOKENS = 5, 2, 60, 3000
# Constructs that Python `re` accepts but ICU (NSRegularExpression) does not, or vice versa.
NON_PORTABLE_RE = re.compile(r"\(\?P[<=>]|\\[AZz]|\(\?[aiLmsux-]+\)")


def approx_tokens(text):
    """Rough BPE token estimate: max of chars/4 and word+punctuation pieces * 0.75."""
    pieces = len(re.findall(r"\w+|[^\w\s]", text))
    return max(len(text) / 4, pieces * 0.75)


def check_holds(check, files):
    text = files.get(check["file"])
    if "contains" in check:
        return text is not None and check["contains"] in text
    if "notContains" in check:
        return text is None or check["notContains"] not in text
    return text is not None and re.search(check["matches"], text) is not None


def describe(check):
    kind = next(k for k in CHECK_KINDS if k in check)
    return f"{check['file']} {kind} {check[kind]!r}"


def validate_task(task, tier_of_file, errors):
    tid = task.get("id", "<no id>") if isinstance(task, dict) else "<not a mapping>"

    def err(msg):
        errors.append(f"{tid}: {msg}")

    if not isinstance(task, dict):
        err("task is not a mapping")
        return
    keys = set(task)
    for k in TASK_KEYS_REQUIRED - keys:
        err(f"missing key {k!r}")
    for k in keys - TASK_KEYS_REQUIRED - TASK_KEYS_OPTIONAL:
        err(f"unknown key {k!r}")
    if not isinstance(task.get("id"), str) or not ID_RE.match(task["id"]):
        err("id must be kebab-case")
    tier = task.get("tier")
    if tier not in TIERS:
        err(f"invalid tier {tier!r}")
    elif tier != tier_of_file:
        err(f"tier {tier!r} in {tier_of_file}.yaml")
    elif not str(task.get("id", "")).startswith(tier + "-"):
        err(f"id must start with '{tier}-'")
    if not isinstance(task.get("title"), str) or not task["title"].strip():
        err("title must be a non-empty string")
    mt = task.get("maxTurns")
    if not isinstance(mt, int) or isinstance(mt, bool) or not 1 <= mt <= 10:
        err("maxTurns must be an int in 1..10")
    prompt = task.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        err("prompt must be a non-empty string")
        prompt = ""

    files = task.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(p, str) and isinstance(c, str) for p, c in files.items()
    ):
        err("files must map path -> text")
        files = {}
    if not MIN_FILES <= len(files) <= MAX_FILES:
        err(f"{len(files)} files (want {MIN_FILES}..{MAX_FILES})")
    for path, text in files.items():
        n = len(text.splitlines())
        if n >= MAX_LINES:
            err(f"{path} has {n} lines (want < {MAX_LINES})")
        if path.startswith("/") or ".." in path.split("/"):
            err(f"{path}: paths must be relative")
    tokens = approx_tokens(prompt + "".join(p + "\n" + c for p, c in files.items()))
    if tokens > MAX_TOKENS:
        err(f"prompt + files ~{tokens:.0f} tokens (want <= {MAX_TOKENS})")

    commands = task.get("commands")
    if not isinstance(commands, list) or not commands:
        err("commands must be a non-empty list")
        commands = []
    for i, rule in enumerate(commands):
        if not isinstance(rule, dict) or set(rule) != {"match", "whenChecksPass", "otherwise"}:
            err(f"commands[{i}] must have exactly match, whenChecksPass, otherwise")
            continue
        if not isinstance(rule["match"], str):
            err(f"commands[{i}].match must be a string")
        for side in ("whenChecksPass", "otherwise"):
            out = rule[side]
            if (not isinstance(out, dict) or set(out) != {"exitCode", "output"}
                    or not isinstance(out["exitCode"], int) or not isinstance(out["output"], str)):
                err(f"commands[{i}].{side} must be {{exitCode: int, output: str}}")
    if commands and isinstance(commands[-1], dict) and commands[-1].get("match") != "":
        err('last command rule must be the "" fallback')

    checks = task.get("checks", [])
    answer = task.get("answer")
    if not isinstance(checks, list):
        err("checks must be a list")
        checks = []
    good_checks = []
    for i, check in enumerate(checks):
        if not isinstance(check, dict) or not isinstance(check.get("file"), str):
            err(f"checks[{i}] needs a file")
            continue
        kinds = [k for k in CHECK_KINDS if k in check]
        extra = set(check) - {"file", *CHECK_KINDS}
        if len(kinds) != 1 or extra:
            err(f"checks[{i}] needs exactly one of {CHECK_KINDS} (and nothing else)")
            continue
        value = check[kinds[0]]
        if not isinstance(value, str) or not value:
            err(f"checks[{i}].{kinds[0]} must be a non-empty string")
            continue
        if kinds[0] == "matches":
            try:
                re.compile(value)
            except re.error as exc:
                err(f"checks[{i}] bad regex: {exc}")
                continue
            if NON_PORTABLE_RE.search(value):
                err(f"checks[{i}] regex uses a construct that is not portable to ICU")
        good_checks.append(check)

    if answer is not None:
        any_of = answer.get("anyOf") if isinstance(answer, dict) else None
        if (not isinstance(any_of, list) or not any_of
                or not all(isinstance(a, str) and a.strip() for a in any_of)
                or set(answer) != {"anyOf"}):
            err("answer must be {anyOf: [non-empty strings]}")
        if checks:
            err("question tasks (answer) must not have file checks")
    elif not checks:
        err("needs at least one check (or an answer)")

    for check in good_checks:
        if check_holds(check, files):
            err(f"check already holds on the initial files: {describe(check)}")

    reference = task.get("reference")
    if good_checks:
        if not isinstance(reference, dict) or not reference or not all(
            isinstance(p, str) and isinstance(c, str) for p, c in reference.items()
        ):
            err("tasks with checks need a reference: path -> full content")
        else:
            solved = {**files, **reference}
            for check in good_checks:
                if not check_holds(check, solved):
                    err(f"reference does not satisfy check: {describe(check)}")
            for path, text in reference.items():
                if len(text.splitlines()) >= MAX_LINES:
                    err(f"reference {path} has >= {MAX_LINES} lines")


def run_pytest(files):
    with tempfile.TemporaryDirectory() as tmp:
        for rel, text in files.items():
            path = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=tmp, env=env, capture_output=True, text=True, timeout=120,
        )
    return proc.returncode, proc.stdout + proc.stderr


def run_tests(task, errors):
    files = task.get("files", {})
    if not any(p.startswith("tests/") for p in files):
        return None
    rule = next((r for r in task["commands"] if r["match"] and r["match"] in "python -m pytest"), None)
    init_rc, _ = run_pytest(files)
    ref_rc, ref_out = run_pytest({**files, **task.get("reference", {})})
    if ref_rc != 0:
        errors.append(f"{task['id']}: reference fails pytest:\n{ref_out}")
    if rule is not None:
        if rule["otherwise"]["exitCode"] != init_rc:
            errors.append(f"{task['id']}: initial pytest rc {init_rc} != simulated "
                          f"{rule['otherwise']['exitCode']}")
        if rule["whenChecksPass"]["exitCode"] != ref_rc:
            errors.append(f"{task['id']}: reference pytest rc {ref_rc} != simulated "
                          f"{rule['whenChecksPass']['exitCode']}")
    return init_rc, ref_rc


def main(argv):
    want_tests = "--run-tests" in argv
    errors, seen, counts = [], {}, {}
    for tier in TIERS:
        path = os.path.join(ROOT, f"{tier}.yaml")
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
        if not isinstance(doc, dict) or doc.get("schema") != 1 or set(doc) != {"schema", "tasks"}:
            errors.append(f"{tier}.yaml: top level must be exactly {{schema: 1, tasks: [...]}}")
            continue
        tasks = doc["tasks"]
        if not isinstance(tasks, list):
            errors.append(f"{tier}.yaml: tasks must be a list")
            continue
        for task in tasks:
            before = len(errors)
            validate_task(task, tier, errors)
            tid = task.get("id") if isinstance(task, dict) else None
            if tid in seen:
                errors.append(f"{tid}: duplicate id (also in {seen[tid]}.yaml)")
            seen[tid] = tier
            counts[tier] = counts.get(tier, 0) + 1
            status = "ok" if len(errors) == before else "FAIL"
            extra = ""
            if isinstance(task, dict) and want_tests and status == "ok":
                rc = run_tests(task, errors)
                if rc is not None:
                    extra = f"  pytest initial rc={rc[0]} reference rc={rc[1]}"
                    status = "ok" if len(errors) == before else "FAIL"
            if isinstance(task, dict):
                n_checks = len(task.get("checks", []))
                kind = "answer" if "answer" in task else f"{n_checks} checks"
                tokens = approx_tokens(task.get("prompt", "") + "".join(
                    p + "\n" + c for p, c in task.get("files", {}).items()))
                print(f"[{status:4}] {tier:12} {tid:34} {len(task.get('files', {}))} files "
                      f"~{tokens:4.0f} tok  {kind}{extra}")
    for tier in TIERS:
        if counts.get(tier, 0) < MIN_PER_TIER:
            errors.append(f"tier {tier}: {counts.get(tier, 0)} tasks (want >= {MIN_PER_TIER})")
    total = sum(counts.values())
    if total < MIN_TOTAL:
        errors.append(f"{total} tasks in total (want >= {MIN_TOTAL})")
    print(f"\n{total} tasks: " + ", ".join(f"{t} {counts.get(t, 0)}" for t in TIERS))
    if errors:
        print(f"\n{len(errors)} problem(s):")
        for e in errors:
            print("  - " + e)
        return 1
    print("validate: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
