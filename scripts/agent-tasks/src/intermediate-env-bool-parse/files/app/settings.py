import os


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return bool(value)


def env_int(name, default):
    value = os.environ.get(name)
    return default if value is None else int(value)


def load():
    return {
        "debug": env_bool("APP_DEBUG"),
        "maintenance": env_bool("APP_MAINTENANCE"),
        "workers": env_int("APP_WORKERS", 4),
    }
