#!/usr/bin/env python3
"""A recorded Hugging Face Hub on 127.0.0.1, for fit's tests: the routes and the Range semantics
the real Hub has (huggingface_hub's file_download.py and the Hub API docs).

  GET /api/models/OWNER/NAME/revision/REV  -> {"id", "sha", "siblings": [{"rfilename"}]}
  GET /OWNER/NAME/resolve/REV/FILE         -> 302 to /cdn/OWNER/NAME/FILE (as the Hub redirects to its CDN)
  GET /cdn/OWNER/NAME/FILE                 -> the bytes, honouring `Range: bytes=A-B` with 206

And a recorded Ollama registry (the OCI distribution routes `ollama pull` uses, server/images.go):

  GET /v2/NAMESPACE/MODEL/manifests/TAG    -> the manifest: one layer per file, digest = sha256 of it
  GET /v2/NAMESPACE/MODEL/blobs/sha256:HEX -> 307 to /blobs/sha256-HEX (as the registry redirects to its CDN)
  GET /blobs/sha256-HEX                    -> the bytes, honouring `Range: bytes=A-B` with 206

ROOT/ollama/NAMESPACE/MODEL/TAG/ holds a tag's files: `model.gguf` (the model layer), and where
present `projector.gguf`, `template`, `params` (JSON), `license`, each a layer of its media type.

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


LAYER_TYPES = {
    "model.gguf": "application/vnd.ollama.image.model",
    "projector.gguf": "application/vnd.ollama.image.projector",
    "template": "application/vnd.ollama.image.template",
    "params": "application/vnd.ollama.image.params",
    "license": "application/vnd.ollama.image.license",
}
BLOBS = {}  # digest -> path, filled as manifests are served


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def manifest(d):
    layers = []
    for name, media in LAYER_TYPES.items():
        path = os.path.join(d, name)
        if os.path.isfile(path):
            digest = sha256(path)
            BLOBS[digest] = path
            layers.append({"mediaType": media, "digest": digest, "size": os.path.getsize(path)})
    config = b'{"model_format":"gguf"}'
    return {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
            "size": len(config),
        },
        "layers": layers,
    }


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

    def serve_range(self, path):
        size = os.path.getsize(path)
        r = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
        with open(path, "rb") as f:
            if r:
                start, end = int(r[1]), min(int(r[2]), size - 1)
                f.seek(start)
                body = f.read(end - start + 1)
                return self.send(206, body, [("Content-Range", f"bytes {start}-{end}/{size}")])
            return self.send(200, f.read())

    def do_GET(self):
        with open(os.path.join(ROOT, "requests.log"), "a") as log:
            log.write(f"GET {self.path} {self.headers.get('Range', '-')}\n")
        m = re.fullmatch(r"/v2/([^/]+)/([^/]+)/manifests/([^/]+)", self.path)
        if m:
            d = os.path.join(ROOT, "ollama", m[1], m[2], m[3])
            if not os.path.abspath(d).startswith(ROOT + os.sep) or not os.path.isfile(os.path.join(d, "model.gguf")):
                body = {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]}
                return self.send(404, json.dumps(body).encode(), [("Content-Type", "application/json")])
            body = json.dumps(manifest(d)).encode()
            return self.send(200, body, [("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")])
        m = re.fullmatch(r"/v2/([^/]+)/([^/]+)/blobs/(sha256:[0-9a-f]{64})", self.path)
        if m:
            if m[3] not in BLOBS:
                return self.send(404, b'{"errors": [{"code": "BLOB_UNKNOWN"}]}')
            return self.send(307, b"", [("Location", "/blobs/" + m[3].replace(":", "-"))])
        m = re.fullmatch(r"/blobs/(sha256)-([0-9a-f]{64})", self.path)
        if m:
            path = BLOBS.get(f"{m[1]}:{m[2]}")
            return self.serve_range(path) if path else self.send(404, b"Not found")
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
            return self.serve_range(path)
        self.send(404, b"Not found")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
print(f"PORT {server.server_address[1]}", flush=True)
server.serve_forever()
