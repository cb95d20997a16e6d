"""A fake marketplace in local files, with every capability: orders from a JSON file, listings,
acknowledgements and shipments recorded in files. No network.

Register it in a workspace with ``channels.<name>.adapter = "feedsync.testing.file_channel"``
(any channel name). It runs the whole contract suite (tests/testing/test_file_channel_contract.py)
and lets a third-party adapter's tests drive the orders loop against a second channel.
"""
