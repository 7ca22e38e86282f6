#!/usr/bin/env python3
"""Tolerance test: alternative, differently-written correct fixes must also pass the checks
(and the real pytest run), so the checks test substance rather than one exact spelling.

Each alternative is a list of (path, old, new) edits applied to the task's initial files
(old == None means "replace the whole file with new").
"""
import sys

import yaml

from validate import check_holds, describe, run_pytest

ALTERNATIVES = {
    "basic-fix-pagination": [
        [("app/pagination.py", "    start = page * per_page\n    end = start + per_page\n    return items[start:end]",
          "    offset = per_page * (page-1)\n    return items[offset:offset + per_page]")],
    ],
    "basic-fix-leap-year": [
        [("app/dates.py", "    return year % 4 == 0 and year % 100 != 0",
          "    import calendar\n    return calendar.isleap(year)")],
        [("app/dates.py", "    return year % 4 == 0 and year % 100 != 0",
          "    if year % 400 == 0:\n        return True\n    return year % 4 == 0 and year % 100 != 0")],
    ],
    "basic-todo-implement": [
        [("app/text_utils.py", "    # TODO: lowercase the title, replace every run of characters that are not\n"
          "    # letters or digits with a single \"-\", and strip \"-\" from both ends.\n    raise NotImplementedError",
          "    out = \"\".join(c if c.isalnum() else \" \" for c in title.casefold())\n"
          "    return \"-\".join(out.split())"),
         ("app/text_utils.py", "    # TODO: return the number of words in text (empty text has 0 words).\n    raise NotImplementedError",
          "    return len(re.findall(r\"\\S+\", text))"),
         ("app/blog.py", "    # TODO: assume 200 words per minute, round up, and never return less than 1.\n    raise NotImplementedError",
          "    words = word_count(post[\"body\"])\n    return max(1, -(-words // 200))")],
    ],
    "intermediate-missing-function": [
        [("app/stats.py", None, None, "\n\ndef variance(values):\n    import statistics\n    if not values:\n"
          "        raise ValueError(\"variance() needs at least one value\")\n    return statistics.pvariance(values)\n")],
        [("app/stats.py", None, None, "\n\ndef variance(values):\n    avg = mean(values)\n"
          "    return sum((v - avg) * (v - avg) for v in values) / len(values)\n")],
    ],
    "intermediate-env-bool-parse": [
        [("app/settings.py", "    return bool(value)", "    return value.lower() not in ('0', 'false', 'no', 'off', '')")],
    ],
    "intermediate-mutable-default": [
        [("app/message.py", "recipients=[]):", "recipients: list | None = None):"),
         ("app/message.py", "self.recipients = recipients", "self.recipients = recipients or []")],
        [("app/message.py", "self.recipients = recipients", "self.recipients = list(recipients)")],
    ],
    "advanced-log-missing-header": [
        [("app/middleware.py", 'header = request["headers"]["Authorization"]',
          'header = request.get("headers", {}).get("Authorization", "")')],
        [("app/middleware.py", '    header = request["headers"]["Authorization"]',
          '    try:\n        header = request["headers"]["Authorization"]\n'
          '    except KeyError:\n        raise Unauthorized("missing header")')],
    ],
    "advanced-sql-injection": [
        [("app/db.py", "f\"SELECT id, username, email FROM users WHERE username = '{username}'\"\n    return conn.execute(query)",
          "\"SELECT id, username, email FROM users WHERE username = :name\"\n    return conn.execute(query, {\"name\": username})"),
         ("app/db.py", "\"SELECT name, price FROM products WHERE name LIKE '%\" + term + \"%' ORDER BY name\"\n    return conn.execute(query)",
          "\"SELECT name, price FROM products WHERE name LIKE '%' || ? || '%' ORDER BY name\"\n    return conn.execute(query, (term,))"),
         ("app/db.py", "conn.execute(f\"UPDATE users SET email = '{email}' WHERE id = {user_id}\")",
          "conn.execute(\n        \"UPDATE users SET email=? WHERE id=?\",\n        (email, user_id),\n    )")],
        [("app/db.py", "f\"SELECT id, username, email FROM users WHERE username = '{username}'\"\n    return conn.execute(query)",
          "\"SELECT id, username, email FROM users WHERE username = ?\"\n    return conn.execute(query, [username])"),
         ("app/db.py", "\"SELECT name, price FROM products WHERE name LIKE '%\" + term + \"%' ORDER BY name\"\n    return conn.execute(query)",
          "\"SELECT name, price FROM products WHERE name LIKE ? ORDER BY name\"\n    return conn.execute(query, (\"%\" + term + \"%\",))"),
         ("app/db.py", "conn.execute(f\"UPDATE users SET email = '{email}' WHERE id = {user_id}\")",
          "conn.execute(\"UPDATE users SET email = ? WHERE id = ?\", (email, user_id))")],
    ],
    "advanced-full-debug-cycle": [
        [("app/parsing.py", "datetime.strptime(value.strip(), DATE_FORMAT).date()",
          "date.fromisoformat(value.strip())"),
         ("app/parsing.py", "from datetime import datetime", "from datetime import date"),
         ("app/parsing.py", 'DATE_FORMAT = "%Y-%d-%m"\n', "")],
    ],
    "advanced-path-traversal": [
        [("app/files.py", "import os\n", "import os\nfrom pathlib import Path\n"),
         ("app/files.py", "    path = full_path(name, base)\n",
          "    root = Path(base).resolve()\n    path = (root / name).resolve()\n"
          "    if not path.is_relative_to(root):\n        return 403, b\"forbidden\"\n")],
    ],
}


def apply(files, edits):
    files = dict(files)
    for edit in edits:
        path, old, new = edit[:3]
        if old is None:  # append
            files[path] = files[path] + edit[3]
            continue
        assert old in files[path], (path, old)
        files[path] = files[path].replace(old, new)
    return files


def main():
    tasks = {}
    for tier in ("basic", "intermediate", "advanced"):
        with open(f"{tier}.yaml") as fh:
            for task in yaml.safe_load(fh)["tasks"]:
                tasks[task["id"]] = task
    bad = 0
    for tid, alts in ALTERNATIVES.items():
        task = tasks[tid]
        for i, edits in enumerate(alts, 1):
            files = apply(task["files"], edits)
            failing = [describe(c) for c in task["checks"] if not check_holds(c, files)]
            rc, out = run_pytest(files)
            ok = not failing and rc == 0
            bad += not ok
            print(f"[{'ok' if ok else 'FAIL':4}] {tid} alternative {i}: checks "
                  f"{'pass' if not failing else 'fail ' + str(failing)}, pytest rc={rc}")
            if rc != 0:
                print(out[-1500:])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
