#!/usr/bin/env bash
# Which names people type resolve, and to what: the model names and GPU names of the catalog
# audit (Tests/Fixtures/coverage/), run through the built fit. Prints one line per name and the
# counts; `--quiet` prints the counts only.
#   scripts/coverage.sh [--quiet]        FIT_BIN=path: use that fit binary instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${FIT_BIN:-}" ]; then swift build --product fit >&2; fi
fit=${FIT_BIN:-.build/debug/fit}
export FIT_CATALOG=${FIT_CATALOG:-$PWD/Catalog}
quiet=${1:-}
export FIT_CACHE_DIR=${FIT_CACHE_DIR:-$(mktemp -d)}
python3 - "$fit" "$quiet" <<'PY'
import json, subprocess, sys
fit, quiet = sys.argv[1], sys.argv[2] == "--quiet"
def run(*args):
    p = subprocess.run([fit, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr.strip()

names = [l.strip() for l in open("Tests/Fixtures/coverage/model-names.txt") if l.strip() and not l.startswith("#")]
resolved = {}
for n in names:
    code, out, err = run("catalog", "show", n, "--json")
    resolved[n] = json.loads(out)["id"] if code == 0 else None
    if not quiet:
        print(f"model\t{n}\t{resolved[n] or 'UNRESOLVED: ' + err.splitlines()[0][:120] if err else resolved[n]}")
families = []
for l in open("Tests/Fixtures/coverage/families.tsv"):
    if l.startswith("#") or not l.strip(): continue
    rank, family, *rest = l.rstrip("\n").split("\t")
    fnames = rest[0].split() if rest else []
    families.append((rank, family, fnames))
full = sum(1 for _, _, f in families if f and all(resolved.get(n) for n in f))
some = sum(1 for _, _, f in families if any(resolved.get(n) for n in f))
ok = sum(1 for n in names if resolved[n])
print(f"models: {ok} of {len(names)} names resolve; families: {some} of {len(families)} have a name that resolves, {full} resolve every listed name")

gpus = []
for l in open("Tests/Fixtures/coverage/gpu-names.tsv"):
    if l.startswith("#") or not l.strip(): continue
    name, gb = l.rstrip("\n").split("\t")
    gpus.append((name, None if gb == "-" else float(gb)))
right = wrong = unresolved = 0
for name, gb in gpus:
    code, out, err = run("probe", "--hardware", name, "--json")
    if code != 0:
        unresolved += 1
        verdict = "UNRESOLVED: " + err.splitlines()[0][:140]
    else:
        m = json.loads(out)
        g = m["gpus"][0]
        total = g["memoryTotal"].get("value")
        got = g["name"].get("value")
        if gb is None:
            good = g.get("unifiedMemory", False)
        else:
            good = total is not None and abs(total / 2**30 - gb) <= max(1.6, 0.08 * gb)
        right += good
        wrong += not good
        verdict = f"{'ok' if good else 'WRONG'}: {got}, " + (f"{total / 2**30:.1f} GiB" if total else "unified")
    if not quiet:
        print(f"gpu\t{name}\t{verdict}")
print(f"gpus: {right} of {len(gpus)} names plan the card they name, {wrong} plan another card, {unresolved} do not resolve")
PY
