"""Issue #17 points 1 and 7: `feedsync status` tells the truth about every channel, and the
publish gate names the count of the file it kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.cli.conftest import one_json, run


def _archive_all_but(root: Path, keep: int) -> None:
    with sqlite3.connect(root / "feedsync.db") as db:
        db.execute("UPDATE products SET status = 'archived' WHERE sku NOT IN"
                   " (SELECT sku FROM products WHERE status = 'active' ORDER BY sku LIMIT ?)",
                   [keep])


def test_file_channels_list_what_the_published_feed_holds(example: Path) -> None:
    assert run(example, "feed", "build", "google", "facebook").exit_code == 0
    result = run(example, "status")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    out = example / "out"
    assert lines[0] == "google (account default; enabled, file)"
    assert lines[1] == "  listed 58 (items in the published feed)"
    assert lines[2].startswith(f"  feed: {out / 'google.xml'} holds 58 items (xml, published 20")
    assert lines[3].startswith("  last run: #1 feed build at ")
    assert lines[3].endswith(f": ok — google: feed published to {out / 'google.xml'} (58 items)")
    assert lines[4] == "facebook (account default; enabled, file)"
    assert lines[5] == "  listed 58 (items in the published feed)"
    data = one_json(run(example, "status", "--json"))
    google = data["channels"][0]
    assert google["listed"] == 58 and google["feed"]["items"] == 58
    assert google["last_run"]["command"] == "feed build" and google["last_run"]["outcome"] == "ok"
    assert google["last_dry_run"] is None and google["unresolved_failures"] == []


def test_a_dry_run_never_hides_the_last_real_outcome(example: Path) -> None:
    assert run(example, "feed", "build", "google").exit_code == 0
    _archive_all_but(example, 10)
    refused = run(example, "feed", "build", "google")
    assert refused.exit_code == 5
    assert run(example, "sync", "--dry-run").exit_code == 0
    data = one_json(run(example, "--json", "status", "google"))
    google = data["channels"][0]
    assert google["listed"] == 58, "the kept file still holds 58 items"
    assert google["last_run"]["command"] == "feed build"
    assert google["last_run"]["outcome"] == "refused"
    assert google["last_dry_run"]["command"] == "sync" and google["last_dry_run"]["dry_run"]
    text = run(example, "status", "google").stdout.splitlines()
    assert text[3].startswith("  last run: #2 feed build at ")
    assert ": refused — google: publish gate kept the previous feed (58 items)" in text[3]
    assert text[4].startswith("  later dry run: #3 sync (dry run) at ")


def test_a_failure_stays_shown_until_that_step_succeeds(example: Path) -> None:
    assert run(example, "feed", "build", "google").exit_code == 0
    _archive_all_but(example, 10)
    assert run(example, "feed", "build", "google").exit_code == 5
    assert run(example, "feed", "build", "facebook").exit_code == 0  # another channel: no help
    google = one_json(run(example, "--json", "status", "google"))["channels"][0]
    assert google["last_run"]["outcome"] == "refused"
    assert run(example, "feed", "build", "google", "--force").exit_code == 0
    google = one_json(run(example, "--json", "status", "google"))["channels"][0]
    assert google["listed"] == 10 and google["last_run"]["outcome"] == "ok"
    assert google["unresolved_failures"] == []


def test_the_publish_gate_names_the_count_of_the_file_it_kept(example: Path) -> None:
    assert run(example, "feed", "build", "google").exit_code == 0
    _archive_all_but(example, 10)
    result = run(example, "feed", "build", "google")
    assert result.exit_code == 5
    path = example / "out" / "google.xml"
    assert result.stdout.splitlines()[0] == (
        "google: NOT published: the item count would drop from 58 to 10 (-83%, more than the "
        f"30% allowed); {path} is unchanged and still holds 58 items. The new feed had 10 "
        "items; 50 excluded by filters or overrides. Check 'feedsync validate google', then "
        "rerun with --force if this is intended.")


def test_an_empty_first_feed_says_no_file_was_written(example: Path) -> None:
    _archive_all_but(example, 0)
    result = run(example, "feed", "build", "google")
    assert result.exit_code == 5
    assert result.stdout.splitlines()[0] == (
        "google: NOT published: the new feed is empty; no file was written (none was published "
        "before). The new feed had 0 items; 60 excluded by filters or overrides. Check "
        "'feedsync validate google', then rerun with --force if this is intended.")
    status = run(example, "status", "google").stdout.splitlines()
    assert status[1] == "  listed 0 (items in the published feed)"
    assert status[2] == f"  feed: not published yet ({example / 'out' / 'google.xml'})"
