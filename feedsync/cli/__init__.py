"""The `feedsync` command line: thin click commands over the library."""
