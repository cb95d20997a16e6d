"""`feedsync init [DIR]`: write a new workspace from the shipped templates."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from feedsync.cli.context import AppContext, pass_app
from feedsync.errors import UsageError


def workspace_files() -> dict[str, bytes]:
    """Every file a new workspace gets, by relative path, read from the installed package."""
    template = resources.files("feedsync.workspace_template")
    files = {
        "feedsync.toml": template.joinpath("feedsync.toml").read_bytes(),
        "secrets.toml.example": template.joinpath("secrets.toml.example").read_bytes(),
        ".gitignore": template.joinpath("gitignore").read_bytes(),
    }
    mappings = resources.files("feedsync.mappings")
    for entry in sorted(mappings.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            files[f"mappings/{entry.name}"] = entry.read_bytes()
    return files


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@pass_app
def init(app: AppContext, directory: Path | None, force: bool) -> None:
    """Create a workspace in DIRECTORY (default: the current folder)."""
    target = (directory or Path.cwd()).resolve()
    files = workspace_files()
    existing = [name for name in files if (target / name).exists()]
    if existing and not force:
        raise UsageError(
            f"{target} already has {', '.join(existing)}; use --force to overwrite"
        )
    for name, content in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    app.emit(
        {"ok": True, "workspace": str(target), "files": sorted(files)},
        f"created workspace {target} ({len(files)} files)\n"
        f"next: feedsync --workspace {target} catalog import YOUR_EXPORT.csv",
    )
