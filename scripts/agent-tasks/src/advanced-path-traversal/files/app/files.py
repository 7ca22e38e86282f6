import os

UPLOAD_DIR = "/srv/app/uploads"


def full_path(name, base=UPLOAD_DIR):
    return os.path.join(base, name)


def download(name, base=UPLOAD_DIR):
    """Return (status, body) for a requested upload."""
    path = full_path(name, base)
    if not os.path.isfile(path):
        return 404, b"not found"
    with open(path, "rb") as fh:
        return 200, fh.read()
