"""The built wheel installs into a fresh virtualenv and works from outside the repository.

`adapters/` must install as `feedsync.adapters`, never as a bare top-level `adapters` (an
unrelated PyPI distribution owns that name), and the default mappings must ship in the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from feedsync import __version__
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


# The wheel is built from a copy of the files the build reads, never from the working tree: there
# setuptools reuses a leftover build/lib, so a module deleted or renamed since an earlier build
# would still ship in the wheel; and the build writes nothing into the repository.
_SOURCES = ("pyproject.toml", "setup.py", "README.md", "feedsync", "adapters", "mappings")


def _source_copy(tmp: Path) -> Path:
    """A pristine copy of the distribution's sources under ``tmp``."""
    src = tmp / "src"
    src.mkdir()
    skip = shutil.ignore_patterns("__pycache__", "*.py[cod]", "*.egg-info")
    for name in _SOURCES:
        origin = REPO_ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, src / name, ignore=skip)
        else:
            shutil.copy2(origin, src / name)
    return src


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with only the feedsync wheel installed (dependencies borrowed)."""
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    source = _source_copy(tmp)
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(source)], cwd=tmp)
    wheels = list(dist.glob("feedsync-*.whl"))
    assert len(wheels) == 1
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
          str(wheels[0])], cwd=tmp)
    # Dependencies come from the test environment's site-packages through a plain path entry:
    # a .pth line adds a directory but does not run the .pth files inside it, so the editable
    # install of feedsync living there stays invisible to the fresh environment.
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   cwd=tmp).strip()
    Path(purelib, "_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env_dir


def test_wheel_runs_version_and_init_outside_the_repo(installed_wheel: Path,
                                                      tmp_path: Path) -> None:
    feedsync = installed_wheel / "bin" / "feedsync"
    env = {**os.environ, "PYTHONPATH": ""}
    env.pop("FEEDSYNC_WORKSPACE", None)
    assert __version__ in _run([str(feedsync), "--version"], cwd=tmp_path, env=env)
    _run([str(feedsync), "init", "shop"], cwd=tmp_path, env=env)
    assert (tmp_path / "shop" / "feedsync.toml").is_file()
    shipped = sorted(p.name for p in (tmp_path / "shop" / "mappings").glob("*.toml"))
    assert "google.toml" in shipped
    _run([str(feedsync), "--workspace", "shop", "catalog", "stats"], cwd=tmp_path, env=env)


def test_adapters_install_only_inside_the_feedsync_namespace(installed_wheel: Path,
                                                             tmp_path: Path) -> None:
    python = installed_wheel / "bin" / "python"
    code = (
        "import importlib.util, pathlib, feedsync, feedsync.adapters, feedsync.mappings\n"
        "print(pathlib.Path(feedsync.adapters.__file__).parent.parent.name)\n"
        "print(importlib.util.find_spec('adapters'))\n"
    )
    out = _run([str(python), "-c", code], cwd=tmp_path, env={**os.environ, "PYTHONPATH": ""})
    parent, bare = out.split()
    assert parent == "feedsync"
    assert bare == "None"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                      "['purelib'])"], cwd=tmp_path).strip())
    assert not (site / "adapters").exists()
    assert not (site / "mappings").exists()
