import pytest

from app.report import describe
from app.stats import mean, median, variance


def test_mean_and_median():
    assert mean([1, 2, 3, 6]) == 3
    assert median([1, 2, 3, 6]) == 2.5


def test_variance():
    assert variance([2, 4, 4, 4, 5, 5, 7, 9]) == 4
    assert variance([7]) == 0


def test_variance_empty():
    with pytest.raises(ValueError):
        variance([])


def test_describe():
    result = describe([1, 2, 3])
    assert result["count"] == 3
    assert result["variance"] == pytest.approx(2 / 3)
