import json
import urllib.request

with open("config/app.json") as fh:
    CONFIG = json.load(fh)


def fetch(path):
    http = CONFIG["http"]
    url = http["base_url"] + path
    seconds = http["timeout_ms"] / 1000
    last_error = None
    for _ in range(http["retries"]):
        try:
            with urllib.request.urlopen(url, timeout=seconds) as resp:
                return resp.read()
        except OSError as exc:
            last_error = exc
    raise last_error
