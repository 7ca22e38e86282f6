"""Helpers for paging through search results (pages are numbered from 1)."""

DEFAULT_PER_PAGE = 10


def paginate(items, page, per_page=DEFAULT_PER_PAGE):
    """Return the items shown on `page`."""
    if page < 1:
        raise ValueError("page numbers start at 1")
    start = (page - 1) * per_page
    end = start + per_page
    return items[start:end]


def page_count(items, per_page=DEFAULT_PER_PAGE):
    return (len(items) + per_page - 1) // per_page
