"""A fake marketplace for the orders tests: orders from a local JSON file, state in local files.

Registered in a test workspace with ``channels.<name>.adapter = "tests.orders.fake_channel"``.
"""
