"""The README's first command, run as written (minus `pip install`, done by CI already): a
sandbox workspace, the sandbox in the background, the sample catalog, a sync of every channel
over its API, every channel's status, the sandbox stopped. This is the full six-channel sync."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from feedsync.registry import builtin_channels
from feedsync.sandbox.registry import load_all
from tests.conftest import REPO_ROOT
from tests.test_readme import quick_start_commands

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_readme_main_job_syncs_every_emulated_channel(tmp_path: Path) -> None:
    if shutil.which("feedsync") is None:
        pytest.skip("the feedsync console script is not on PATH (pip install -e .)")
    main_job = quick_start_commands()[0]
    install, rest = main_job.split("&&", 1)
    assert install.strip().startswith("pip install")
    (tmp_path / "samples").mkdir()
    shutil.copy(REPO_ROOT / "samples" / "catalog.csv", tmp_path / "samples" / "catalog.csv")
    env = {**os.environ, "FEEDSYNC_SANDBOX_PORT": str(_free_port())}
    env.pop("FEEDSYNC_WORKSPACE", None)
    try:
        done = subprocess.run(["bash", "-c", rest], cwd=tmp_path, env=env, text=True,
                              capture_output=True, timeout=400, check=False)
    finally:  # never leave a sandbox behind, whatever happened
        if (tmp_path / "demo" / ".sandbox" / "server.json").exists():
            subprocess.run(["feedsync", "sandbox", "stop"], cwd=tmp_path / "demo", env=env,
                           capture_output=True, timeout=60, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output  # the last step, `feedsync sandbox stop`
    assert "sandbox stopped" in output
    channels = sorted(set(builtin_channels()) & set(load_all()))
    assert {"amazon", "google", "facebook"} <= set(channels)
    for channel in channels:
        block = output.split(f"{channel} (account default; enabled, api)", 1)
        assert len(block) == 2, f"no status for {channel}:\n{output}"
        listed = block[1].split("listed ", 1)[1].split(":", 1)[0]
        assert int(listed) > 0, f"{channel} listed nothing:\n{output}"
    assert "Traceback" not in output
