import pytest

from app.files import download


@pytest.fixture
def base(tmp_path):
    uploads = tmp_path / "uploads"
    (uploads / "docs").mkdir(parents=True)
    (uploads / "report.txt").write_bytes(b"quarterly report")
    (uploads / "docs" / "a.txt").write_bytes(b"nested")
    (tmp_path / "secret.txt").write_bytes(b"top secret")
    return str(uploads)


def test_normal_download(base):
    assert download("report.txt", base) == (200, b"quarterly report")
    assert download("docs/a.txt", base) == (200, b"nested")


def test_missing_file(base):
    assert download("nope.txt", base)[0] == 404


def test_parent_directory_is_forbidden(base):
    assert download("../secret.txt", base)[0] == 403
    assert download("docs/../../secret.txt", base)[0] == 403


def test_absolute_path_is_forbidden(base, tmp_path):
    assert download(str(tmp_path / "secret.txt"), base)[0] == 403
