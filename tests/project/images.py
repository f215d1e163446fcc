"""Reading the Dockerfile and docker-compose.yml as Docker would, to replay them without
Docker: the build's instructions, `COPY . .` with .dockerignore, the services' commands,
environment and healthchecks."""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from .support import ROOT

# Steps of the build that only shape the image's system (packages, users, folders): the
# replay runs on this machine's. Any other command fails the replay, so that a new build
# step cannot go untested.
SYSTEM_COMMANDS = {"apt-get", "useradd", "mkdir", "chown", "rm"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass
class Instruction:
    keyword: str
    argument: str


def dockerfile(path: Path = ROOT / "Dockerfile") -> list[Instruction]:
    instructions: list[Instruction] = []
    logical = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not logical and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        keyword, _, argument = logical.partition(" ")
        instructions.append(Instruction(keyword.upper(), argument.strip()))
        logical = ""
    return instructions


def image_env(instructions: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword == "ENV":
            for pair in shlex.split(instruction.argument):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def python_version(instructions: list[Instruction]) -> str:
    """`FROM python:3.11-slim` -> "3.11"."""
    base = next(i.argument for i in instructions if i.keyword == "FROM")
    assert base.startswith("python:"), base
    return base.split(":", 1)[1].split("-", 1)[0]


def build_steps(instructions: list[Instruction]) -> list[list[str]]:
    """The python/pip commands of every RUN, in order, as argv lists with the step's
    variable assignments first (`A=1 B=2 python …`)."""
    steps: list[list[str]] = []
    for instruction in instructions:
        if instruction.keyword != "RUN":
            continue
        for part in instruction.argument.split("&&"):
            words = shlex.split(part)
            command = next(w for w in words if not ASSIGNMENT.match(w))
            if command in {"python", "pip"}:
                steps.append(words)
            else:
                assert command in SYSTEM_COMMANDS, f"the replay does not know {part!r}"
    return steps


def dockerignore(path: Path = ROOT / ".dockerignore") -> list[str]:
    return [
        line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def copy_context(target: Path, source: Path = ROOT) -> Path:
    """`COPY . .`: the build context without what .dockerignore leaves out."""
    patterns = dockerignore(source / ".dockerignore")

    def ignored(relative: str) -> bool:
        for pattern in patterns:
            if pattern.startswith("**/"):
                if fnmatch.fnmatch(Path(relative).name, pattern[3:]):
                    return True
            elif fnmatch.fnmatch(relative, pattern) or relative.startswith(pattern + "/"):
                return True
        return False

    def ignore(folder: str, names: list[str]) -> set[str]:
        base = Path(folder).relative_to(source)
        return {n for n in names if ignored(str(base / n) if str(base) != "." else n)}

    shutil.copytree(source, target, ignore=ignore, symlinks=True)
    return target


def compose(path: Path = ROOT / "docker-compose.yml") -> dict:
    return yaml.safe_load(path.read_text())


def env_file(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def command(service: dict) -> list[str]:
    """Compose splits a string command like a shell would, without running one."""
    value = service["command"]
    return shlex.split(value) if isinstance(value, str) else list(value)


def healthcheck(service: dict) -> list[str]:
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        return ["sh", "-c", test]
    kind, *rest = test
    if kind == "CMD-SHELL":
        return ["sh", "-c", " ".join(rest)]
    assert kind == "CMD", test
    return rest
