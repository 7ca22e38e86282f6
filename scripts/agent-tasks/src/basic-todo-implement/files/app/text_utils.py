import re


def slugify(title):
    """Turn "Hello, World!" into "hello-world"."""
    # TODO: lowercase the title, replace every run of characters that are not
    # letters or digits with a single "-", and strip "-" from both ends.
    raise NotImplementedError


def word_count(text):
    """Count whitespace-separated words."""
    # TODO: return the number of words in text (empty text has 0 words).
    raise NotImplementedError


def excerpt(text, limit=40):
    if len(text) <= limit:
        return text
    return text[: limit - 3].rstrip() + "..."
