"""The apps' layers (.importlinter, README "Architecture in a screen"): the contract holds on
the tree, it fails on a deliberate upward import (in a copy, never the real tree), and no
app names a Celery task of an app above it or beside it."""

from __future__ import annotations

import ast
import configparser
import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from common.broker import celery_app

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
TASK_NAME = re.compile(r"([a-z_]+)\.tasks\.([a-z_]+)")


def read_config() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(CONFIG)
    return config


def root_packages() -> list[str]:
    return read_config()["importlinter"]["root_packages"].split()


def layers() -> list[list[str]]:
    """The layers, top first; each a list of independent sibling apps."""
    text = read_config()["importlinter:contract:layers"]["layers"]
    return [[app.strip() for app in line.split("|")] for line in text.splitlines() if line.strip()]


def rank() -> dict[str, int]:
    """Each app's layer, 0 at the ground."""
    ordered = layers()
    return {app: len(ordered) - 1 - i for i, line in enumerate(ordered) for app in line}


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--no-logo", "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_it_keeps_the_layers_on_the_real_tree():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_it_names_every_package_of_the_project():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert set(root_packages()) == packages
    assert {app for line in layers() for app in line} == packages


def copy_of_the_tree(destination: Path) -> Path:
    """The project's Python packages and the contract, without data, templates or caches."""
    for package in root_packages():
        shutil.copytree(
            ROOT / package,
            destination / package,
            ignore=lambda folder, names: (
                [n for n in names if not n.endswith(".py") and not (Path(folder) / n).is_dir()]
                + [n for n in names if n in ("__pycache__", "templates", "static", "fonts")]
            ),
        )
    shutil.copy(CONFIG, destination / CONFIG.name)
    return destination


@pytest.mark.parametrize(
    ("module", "statement", "broken"),
    [
        # The ground reaching up: accounts reading the inbox.
        (
            "accounts/upward.py",
            "from flows.selectors import inbox_count\n",
            ("accounts is not allowed to import flows", "accounts.upward -> flows.selectors"),
        ),
        # Siblings of one layer stay independent: documents may not call notifications.
        (
            "documents/sideways.py",
            "def tell():\n    from notifications.services import notify\n",
            (
                "documents is not allowed to import notifications",
                "documents.sideways -> notifications.services",
            ),
        ),
        # The ground package imports no app, not even the one that holds the Celery app.
        (
            "common/upward.py",
            "import project.celery\n",
            ("common is not allowed to import project", "common.upward -> project.celery"),
        ),
    ],
)
def test_it_fails_on_an_upward_import_and_names_it(tmp_path, module, statement, broken):
    tree = copy_of_the_tree(tmp_path)
    assert lint_imports(tree).returncode == 0  # the copy alone is as clean as the tree
    (tree / module).write_text(statement)
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "Contracts: 0 kept, 1 broken." in result.stdout
    for words in broken:
        assert words in " ".join(result.stdout.split())
    assert not (ROOT / module).exists()


def task_names_in(root: Path) -> list[tuple[str, str, str]]:
    """(app, file, name) for every string literal of the form "<app>.tasks.<name>" in the
    apps' code under `root` (migrations included: a data migration may enqueue too)."""
    found = []
    for package in root_packages():
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and TASK_NAME.fullmatch(node.value)
                ):
                    found.append((package, path.relative_to(root).as_posix(), node.value))
    return found


def upward_task_names(names: list[tuple[str, str, str]]) -> set[tuple[str, str]]:
    """(file, name) of each task name of an app above the file's app, or beside it."""
    ranks = rank()
    return {
        (path, name)
        for app, path, name in names
        if (owner := name.split(".", 1)[0]) != app and ranks[owner] >= ranks[app]
    }


def test_every_task_name_names_a_task_of_its_own_app_or_a_lower_one():
    names = task_names_in(ROOT)
    assert len(names) >= 10  # the scan finds them (settings' beat schedule, at least)
    for _app, path, name in names:
        # The named task exists: its module registers it with the Celery app.
        importlib.import_module(name.rsplit(".", 1)[0])
        assert name in celery_app().tasks, f"{path} names {name}, which is no task"
    upward = upward_task_names(names)
    assert not upward, f"an app names a task of an app above or beside it: {sorted(upward)}"


def test_the_task_name_check_catches_an_upward_name(tmp_path):
    """documents naming a task of reports (what documents/services.py did before it sent a
    signal), written into a copy: reported with its file."""
    tree = copy_of_the_tree(tmp_path)
    assert upward_task_names(task_names_in(tree)) == upward_task_names(task_names_in(ROOT))
    (tree / "documents" / "after_save.py").write_text(
        "from common.broker import enqueue_on_commit\n\n\n"
        "def after_save(pk):\n"
        '    enqueue_on_commit("reports.tasks.document_text_build", pk)\n'
    )
    assert ("documents/after_save.py", "reports.tasks.document_text_build") in (
        upward_task_names(task_names_in(tree))
    )
