"""Moved to :mod:`feedsync.testing.file_channel` (issue #11): a fake marketplace in local files.

This package only re-exports it, so a workspace naming ``tests.orders.fake_channel`` still works.
"""
