"""`python -m feedsync` runs the same CLI as the `feedsync` console script."""

from feedsync.cli.main import main

if __name__ == "__main__":  # pragma: no cover - exercised through subprocess tests
    main()
