from app.blog import post_summary, reading_time
from app.text_utils import slugify, word_count


def test_slugify():
    assert slugify("Hello, World!") == "hello-world"
    assert slugify("  Python 3.12 -- what's new?  ") == "python-3-12-what-s-new"


def test_word_count():
    assert word_count("one  two\nthree") == 3
    assert word_count("") == 0


def test_reading_time():
    assert reading_time({"body": "word " * 450}) == 3
    assert reading_time({"body": "short"}) == 1


def test_post_summary():
    summary = post_summary({"title": "Release Notes", "body": "New things."})
    assert summary["url"] == "/posts/release-notes"
    assert summary["words"] == 2
