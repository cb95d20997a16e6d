"""The README's quick-start commands exist in the CLI, and CI runs them as written."""

from __future__ import annotations

import re
import shlex

from click.testing import CliRunner

from feedsync.cli.main import cli
from tests.conftest import REPO_ROOT

README = REPO_ROOT / "README.md"


def quick_start_commands() -> list[str]:
    """The first two shell blocks of the README: (1) install + main job, (2) install + tests."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 2, "README must open with two ```sh blocks"
    return [" ".join(block.split("\n")).strip() for block in blocks[:2]]


def feedsync_invocations(command: str) -> list[list[str]]:
    """Argument lists of every `feedsync …` step in a `a && b && (c; d)` command line."""
    steps = [shlex.split(step.strip().strip("()")) for step in re.split(r"&&|;", command)]
    return [words[1:] for words in steps if words and words[0] == "feedsync"]


def test_readme_opens_with_the_two_quick_start_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = text.index("```sh")
    assert "## Quick start" in text[:first_block]
    main_job, tests = quick_start_commands()
    assert main_job.startswith("pip install")
    assert feedsync_invocations(main_job), "the first command must run feedsync"
    assert tests.startswith("pip install") and "pytest" in tests


def test_every_feedsync_step_in_the_readme_exists_in_the_cli() -> None:
    runner = CliRunner()
    steps = [args for cmd in quick_start_commands() for args in feedsync_invocations(cmd)]
    assert steps
    for args in steps:
        # --help after the full argument list makes click resolve every subcommand and
        # option named, without running anything.
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0, f"feedsync {' '.join(args)}: {result.output}"
        assert "Usage:" in result.output


def test_ci_installs_and_tests_exactly_as_the_readme_says() -> None:
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    _, tests = quick_start_commands()
    for step in (s.strip() for s in tests.split("&&")):
        assert step in ci, f".ci/run does not run the README step {step!r}"
