import math

from app.text_utils import excerpt, slugify, word_count


def reading_time(post):
    """Minutes needed to read the post body."""
    # TODO: assume 200 words per minute, round up, and never return less than 1.
    raise NotImplementedError


def post_summary(post):
    return {
        "url": "/posts/" + slugify(post["title"]),
        "words": word_count(post["body"]),
        "minutes": reading_time(post),
        "preview": excerpt(post["body"]),
    }
