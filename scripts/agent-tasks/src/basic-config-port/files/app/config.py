import os

import yaml


def load_settings(path="config/settings.yaml"):
    env = os.environ.get("APP_ENV", "default")
    with open(path) as fh:
        data = yaml.safe_load(fh)
    settings = dict(data["default"])
    settings.update(data.get(env, {}))
    # An explicit PORT variable wins over the file.
    if "PORT" in os.environ:
        settings["port"] = int(os.environ["PORT"])
    return settings
