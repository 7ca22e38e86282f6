from app.dates import days_in_month, is_leap_year


def test_common_years():
    assert not is_leap_year(2023)
    assert not is_leap_year(1900)


def test_leap_years():
    assert is_leap_year(2024)
    assert is_leap_year(2000)


def test_february_2000():
    assert days_in_month(2000, 2) == 29
