import math

from app.text_utils import excerpt, slugify, word_count


def reading_time(post):
    """Minutes needed to read the post body."""
    return max(1, math.ceil(word_count(post["body"]) / 200))


def post_summary(post):
    return {
        "url": "/posts/" + slugify(post["title"]),
        "words": word_count(post["body"]),
        "minutes": reading_time(post),
        "preview": excerpt(post["body"]),
    }
