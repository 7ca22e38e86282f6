from app.pagination import page_count, paginate

ITEMS = list(range(1, 26))


def test_first_page_starts_with_first_item():
    assert paginate(ITEMS, 1) == list(range(1, 11))


def test_last_page_is_partial():
    assert paginate(ITEMS, 3) == [21, 22, 23, 24, 25]


def test_page_count():
    assert page_count(ITEMS) == 3
