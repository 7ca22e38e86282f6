#!/usr/bin/env python3
"""Assemble basic.yaml / intermediate.yaml / advanced.yaml from src/<task-id>/.

Layout of one task source folder:
  src/<id>/task.yaml     tier, order, title, prompt, checks, answer, extraCommands,
                         initialTestsMayPass (optional, default false)
  src/<id>/files/...     the simulated project as first shown to the model
  src/<id>/reference/... files a correct solution changes or adds (overlay)

For tasks with a tests/ folder the `pytest` command outputs are produced by
really running pytest (--tb=short, to keep outputs small) on the initial project (-> `otherwise`) and on the
project with the reference overlay (-> `whenChecksPass`); paths are rewritten
to /workspace so the output looks like it came from the simulated project.
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(ROOT, "src")
OUT = os.path.join(ROOT, "..", "..", "Catalog", "agent-tasks")  # fit reads the tasks from there
TIERS = ["basic", "intermediate", "advanced"]
CARET_LINE = re.compile(r"^\s*[\^~]+\s*$")


def read_tree(folder):
    out = {}
    if not os.path.isdir(folder):
        return out
    for dirpath, _dirs, names in os.walk(folder):
        for name in sorted(names):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, folder).replace(os.sep, "/")
            with open(full, encoding="utf-8") as fh:
                out[rel] = fh.read()
    return dict(sorted(out.items()))


def run_pytest(files):
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "workspace")
        for rel, text in files.items():
            path = os.path.join(work, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", COLUMNS="80",
                   PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
        env.pop("PYTEST_ADDOPTS", None)
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--tb=short"],
            cwd=work, env=env, capture_output=True, text=True, timeout=120,
        )
        text = (proc.stdout + proc.stderr).replace(work, "/workspace")
        text = text.replace(os.path.realpath(work), "/workspace")
        stdlib = os.path.dirname(os.__file__)
        text = text.replace(stdlib, "/usr/lib/python%d.%d" % sys.version_info[:2])
    lines = [l.rstrip() for l in text.splitlines() if not CARET_LINE.match(l)]
    return proc.returncode, "\n".join(lines).strip("\n") + "\n"


def build_task(task_id):
    folder = os.path.join(SRC, task_id)
    with open(os.path.join(folder, "task.yaml"), encoding="utf-8") as fh:
        meta = yaml.safe_load(fh)
    files = read_tree(os.path.join(folder, "files"))
    reference = read_tree(os.path.join(folder, "reference"))

    commands = []
    if any(p.startswith("tests/") for p in files):
        init_rc, init_out = run_pytest(files)
        ref_rc, ref_out = run_pytest({**files, **reference})
        if ref_rc != 0:
            sys.exit(f"{task_id}: reference solution fails its tests:\n{ref_out}")
        if init_rc == 0 and not meta.get("initialTestsMayPass"):
            sys.exit(f"{task_id}: initial project unexpectedly passes its tests")
        commands.append({
            "match": "pytest",
            "whenChecksPass": {"exitCode": ref_rc, "output": ref_out},
            "otherwise": {"exitCode": init_rc, "output": init_out},
        })
    commands.extend(meta.get("extraCommands", []))
    commands.append({
        "match": "",
        "whenChecksPass": {"exitCode": 0, "output": ""},
        "otherwise": {"exitCode": 0, "output": ""},
    })

    task = {
        "id": task_id,
        "tier": meta["tier"],
        "title": meta["title"],
        "maxTurns": meta.get("maxTurns", 10),
        "prompt": " ".join(meta["prompt"].split()),
        "files": files,
        "commands": commands,
    }
    if meta.get("checks"):
        task["checks"] = meta["checks"]
    if meta.get("answer"):
        task["answer"] = meta["answer"]
    if reference:
        task["reference"] = reference
    return meta.get("order", 0), task


class Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


class Folded(str):
    pass


def _str(dumper, data):
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


def _folded(dumper, data):
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style=">")


Dumper.add_representer(str, _str)
Dumper.add_representer(Folded, _folded)


def main():
    by_tier = {t: [] for t in TIERS}
    for task_id in sorted(os.listdir(SRC)):
        if not os.path.isfile(os.path.join(SRC, task_id, "task.yaml")):
            continue
        order, task = build_task(task_id)
        task["prompt"] = Folded(task["prompt"])
        by_tier[task["tier"]].append((order, task_id, task))
    for tier in TIERS:
        tasks = [t for _o, _i, t in sorted(by_tier[tier], key=lambda x: x[:2])]
        header = (
            f"# fit bench agent -- {tier} tier tasks.\n"
            "# Generated by build.py from src/<task-id>/; command outputs are real pytest runs.\n"
        )
        body = yaml.dump({"schema": 1, "tasks": tasks}, Dumper=Dumper, sort_keys=False,
                         allow_unicode=True, width=78, default_flow_style=False)
        with open(os.path.join(OUT, f"{tier}.yaml"), "w", encoding="utf-8") as fh:
            fh.write(header + body)
        print(f"{tier}.yaml: {', '.join(t['id'] for t in tasks)}")


if __name__ == "__main__":
    main()
