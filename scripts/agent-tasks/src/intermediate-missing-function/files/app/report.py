from app.stats import mean, median, variance


def describe(values):
    return {
        "count": len(values),
        "mean": mean(values),
        "median": median(values),
        "variance": variance(values),
    }
