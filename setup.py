"""Package discovery that pyproject.toml alone cannot express.

The repository keeps the design card's top level (`feedsync/`, `adapters/`, `mappings/`), but an
unrelated, popular PyPI distribution owns the bare `adapters` import name. So `adapters/` installs
as the `feedsync.adapters` namespace and `mappings/` (the default mapping files) as
`feedsync.mappings`; nothing is installed as a top-level `adapters` module. Metadata lives in
pyproject.toml.
"""

from setuptools import find_packages, setup

core = find_packages(include=["feedsync", "feedsync.*"])
adapters = ["feedsync.adapters"] + [
    f"feedsync.adapters.{name}" for name in find_packages(where="adapters")
]

setup(
    packages=[*core, *adapters, "feedsync.mappings"],
    package_dir={
        "feedsync": "feedsync",
        "feedsync.adapters": "adapters",
        "feedsync.mappings": "mappings",
    },
)
