"""The image's static files: the Dockerfile's collectstatic step, as written, with the
manifest storage (hashed names; it stops on any reference it cannot resolve), and every
static file a template asks for is among the collected ones."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.project import images
from tests.project.support import ROOT

STATIC_TAG = re.compile(r"""{%\s*static\s+["']([^"']+)["']""")


def collect(static_root: Path) -> dict[str, str]:
    (step,) = [s for s in images.build_steps(images.dockerfile()) if "collectstatic" in s]
    assignments = dict(w.split("=", 1) for w in step if images.ASSIGNMENT.match(w))
    argv = [w for w in step if not images.ASSIGNMENT.match(w)]
    assert argv[0] == "python"
    env = {
        "PATH": os.environ["PATH"],
        "LANG": "C.UTF-8",
        **images.image_env(images.dockerfile()),
        **assignments,
        "STATIC_ROOT": str(static_root),  # not into the working tree
    }
    result = subprocess.run(
        [sys.executable, *argv[1:]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((static_root / "staticfiles.json").read_text())["paths"]


def test_the_dockerfiles_collectstatic_passes_with_the_manifest_storage(tmp_path):
    paths = collect(tmp_path / "static")
    assert re.fullmatch(r"css/app\.[0-9a-f]{12}\.css", paths["css/app.css"])
    assert "admin/css/base.css" in paths
    # Compressed copies for WhiteNoise.
    assert (tmp_path / "static" / (paths["css/app.css"] + ".gz")).exists()
    # viewflow's Material-site files are left out on purpose (project/staticfiles.py).
    assert not [p for p in paths if p.startswith("viewflow/")]


def test_every_static_file_a_template_asks_for_is_collected(tmp_path):
    paths = collect(tmp_path / "static")
    templates = [
        p
        for p in ROOT.rglob("templates/**/*.html")
        if ".venv" not in p.parts and "node_modules" not in p.parts
    ]
    asked = {
        (str(t.relative_to(ROOT)), name)
        for t in templates
        for name in STATIC_TAG.findall(t.read_text(encoding="utf-8"))
    }
    assert any(name == "css/app.css" for _, name in asked)
    missing = sorted((t, name) for t, name in asked if name not in paths)
    assert missing == []
