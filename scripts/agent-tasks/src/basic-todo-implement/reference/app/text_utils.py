import re


def slugify(title):
    """Turn "Hello, World!" into "hello-world"."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower())
    return slug.strip("-")


def word_count(text):
    """Count whitespace-separated words."""
    return len(text.split())


def excerpt(text, limit=40):
    if len(text) <= limit:
        return text
    return text[: limit - 3].rstrip() + "..."
