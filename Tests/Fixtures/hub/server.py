#!/usr/bin/env python3
"""A recorded Hugging Face Hub on 127.0.0.1, for fit's tests: the routes and the Range semantics
the real Hub has (huggingface_hub's file_download.py and the Hub API docs).

  GET /api/models/OWNER/NAME/revision/REV  -> {"id", "sha", "siblings": [{"rfilename"}]}
  GET /OWNER/NAME/resolve/REV/FILE         -> 302 to /cdn/OWNER/NAME/FILE (as the Hub redirects to its CDN)
  GET /cdn/OWNER/NAME/FILE                 -> the bytes, honouring `Range: bytes=A-B` with 206

ROOT/OWNER/NAME/ holds the repo's files. A repo with a file named `.gated` answers 401 unless the
request carries `Authorization: Bearer <the file's content>`. The commit is the SHA-1 of the repo's
file names and sizes. Prints `PORT <n>` on its first line, then serves until killed. Every request
is appended to ROOT/requests.log (method, path, Range), so tests can see what was asked.
"""
import hashlib, http.server, json, os, re, sys

ROOT = os.path.abspath(sys.argv[1])


def repo_dir(owner, name):
    d = os.path.join(ROOT, owner, name)
    return d if os.path.isdir(d) and os.path.abspath(d).startswith(ROOT + os.sep) else None


def files(d):
    return sorted(f for f in os.listdir(d) if not f.startswith("."))


def commit(d):
    h = hashlib.sha1()
    for f in files(d):
        h.update(f"{f}:{os.path.getsize(os.path.join(d, f))}\n".encode())
    return h.hexdigest()


class Hub(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def authorized(self, d):
        gate = os.path.join(d, ".gated")
        if not os.path.exists(gate):
            return True
        token = open(gate).read().strip()
        return self.headers.get("Authorization", "") == f"Bearer {token}"

    def do_GET(self):
        with open(os.path.join(ROOT, "requests.log"), "a") as log:
            log.write(f"GET {self.path} {self.headers.get('Range', '-')}\n")
        m = re.fullmatch(r"/api/models/([^/]+)/([^/]+)/revision/([^/]+)", self.path)
        if m:
            d = repo_dir(m[1], m[2])
            if d is None:
                return self.send(404, b'{"error": "Repository not found"}')
            if not self.authorized(d):
                return self.send(401, b'{"error": "Access to model is restricted"}')
            body = {"id": f"{m[1]}/{m[2]}", "sha": commit(d), "siblings": [{"rfilename": f} for f in files(d)]}
            return self.send(200, json.dumps(body).encode(), [("Content-Type", "application/json")])
        m = re.fullmatch(r"/([^/]+)/([^/]+)/resolve/([^/]+)/(.+)", self.path)
        if m:
            d = repo_dir(m[1], m[2])
            if d is None or not os.path.isfile(os.path.join(d, m[4])):
                return self.send(404, b"Entry not found")
            if not self.authorized(d):
                return self.send(401, b"Access restricted")
            return self.send(302, b"", [("Location", f"/cdn/{m[1]}/{m[2]}/{m[4]}")])
        m = re.fullmatch(r"/cdn/([^/]+)/([^/]+)/(.+)", self.path)
        if m:
            d = repo_dir(m[1], m[2])
            path = os.path.join(d, m[3]) if d else None
            if path is None or not os.path.isfile(path):
                return self.send(404, b"Not found")
            size = os.path.getsize(path)
            r = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
            with open(path, "rb") as f:
                if r:
                    start, end = int(r[1]), min(int(r[2]), size - 1)
                    f.seek(start)
                    body = f.read(end - start + 1)
                    return self.send(206, body, [("Content-Range", f"bytes {start}-{end}/{size}")])
                return self.send(200, f.read())
        self.send(404, b"Not found")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
print(f"PORT {server.server_address[1]}", flush=True)
server.serve_forever()
