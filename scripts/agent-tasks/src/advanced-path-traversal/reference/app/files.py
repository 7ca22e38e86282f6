import os

UPLOAD_DIR = "/srv/app/uploads"


def full_path(name, base=UPLOAD_DIR):
    root = os.path.realpath(base)
    path = os.path.realpath(os.path.join(root, name))
    if os.path.commonpath([root, path]) != root:
        return None
    return path


def download(name, base=UPLOAD_DIR):
    """Return (status, body) for a requested upload."""
    path = full_path(name, base)
    if path is None:
        return 403, b"forbidden"
    if not os.path.isfile(path):
        return 404, b"not found"
    with open(path, "rb") as fh:
        return 200, fh.read()
