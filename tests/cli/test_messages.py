"""Issue #17 point 7: messages that are exact, and help that matches what commands do."""

from __future__ import annotations

from pathlib import Path

from feedsync.registry import builtin_channels, channel_feed
from tests.cli.conftest import one_json, run


def test_a_semicolon_file_gets_the_hint_with_auto_detection(example: Path,
                                                            tmp_path: Path) -> None:
    source = tmp_path / "semi.csv"
    source.write_text("sku;title;price\nA;Thing;1.00\n")
    for extra in ([], ["--format", "native"]):
        result = run(example, "catalog", "import", *extra, str(source))
        assert result.exit_code == 1, result.output
        assert result.stderr == (f"error: {source}:1: the header has a single column "
                                 "containing ';': the file uses ';' as separator; export it "
                                 "with ',' instead\n")


def test_orders_ship_names_file_and_line_in_text_too(example: Path, tmp_path: Path) -> None:
    shipments = tmp_path / "ship.csv"
    shipments.write_text("order_id,carrier,tracking_number\nNOPE-1,UPS,1Z999\n")
    text = run(example, "orders", "ship", str(shipments))
    assert text.exit_code == 1
    assert text.stdout.splitlines()[0] == (
        f"error             NOPE-1                 1Z999                {shipments}:2: order "
        "NOPE-1 is not in the workspace (run `feedsync orders pull` first)")
    data = one_json(run(example, "--json", "orders", "ship", str(shipments)))
    assert data["results"][0]["where"] == f"{shipments}:2"


def test_since_and_as_of_understand_the_same_words(example: Path) -> None:
    for words in ("yesterday", "today", "24h", "7d", "2026-12-05", "2026-12-05T14:30Z"):
        assert run(example, "orders", "list", "--since", words).exit_code == 0, words
        assert run(example, "feed", "build", "google", "--as-of", words).exit_code == 0, words
    for option, command in (("--since", ["orders", "list"]),
                            ("--as-of", ["feed", "build", "google"])):
        refused = run(example, *command, option, "last tuesday")
        assert refused.exit_code == 2
        assert refused.stderr == (
            f"error: {option} 'last tuesday' is not an ISO 8601 date or time (2026-12-05, "
            "2026-12-05T14:30Z), nor now, today, yesterday or <N>h / <N>d ago (24h, 7d)\n")


def test_help_says_what_the_commands_do(example: Path) -> None:
    sync_help = " ".join(run(example, "sync", "--help").stdout.split())
    assert "pull orders first" in sync_help
    assert sync_help.index("pull orders") < sync_help.index("push the planned changes") < (
        sync_help.index("build the feed files"))
    build_help = " ".join(run(example, "feed", "build", "--help").stdout.split())
    for name in builtin_channels():
        try:
            formats = list(channel_feed(name))
        except Exception:
            continue
        assert f"{name}: {formats[0]} (default)" in build_help, name
    assert "amazon: json (default)" in build_help  # `feed build amazon` exists
