"""The image a Dockerfile describes for some build args, read as BuildKit reads it (offline)."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

# ${NAME}, ${NAME:-default} or $NAME; Dockerfiles use no other forms.
_VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)")


@dataclass(frozen=True)
class Instruction:
    """One instruction; its text has variables expanded where Docker or the shell expands them."""

    keyword: str
    text: str


@dataclass(frozen=True)
class Stage:
    """One FROM section: its base image, ARG values and instructions."""

    name: str
    base: str
    args: Mapping[str, str]
    instructions: tuple[Instruction, ...]

    def texts(self, keyword: str) -> list[str]:
        """The texts of this stage's instructions with ``keyword``, in order."""
        return [i.text for i in self.instructions if i.keyword == keyword]


@dataclass(frozen=True)
class Image:
    """What the last stage leaves in the image's config, plus every stage that built it."""

    stages: tuple[Stage, ...]
    env: Mapping[str, str]
    exposed: tuple[str, ...]
    user: str
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    healthcheck: tuple[str, ...]
    unused_args: frozenset[str]


@dataclass
class _StageState:
    name: str
    base: str
    args: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    instructions: list[Instruction] = field(default_factory=list)
    exposed: list[str] = field(default_factory=list)
    user: str = ""
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    healthcheck: tuple[str, ...] = ()

    def scope(self) -> dict[str, str]:
        # ENV wins over an ARG of the same name, as in Docker.
        return {**self.args, **self.env}


def logical_lines(text: str) -> list[str]:
    """Instructions one per line: continuations joined, comments and blank lines dropped."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        # Docker drops comment lines even inside a continued instruction.
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    if pending:
        lines.append(pending.rstrip())
    return lines


def _unquoted(value: str) -> str:
    # `ARG NAME=""` declares an empty default, as it would in a shell.
    words = shlex.split(value)
    return words[0] if words else ""


def expand(word: str, scope: Mapping[str, str]) -> str:
    """``word`` with the variables of ``scope`` set; unknown ones (the base image's) stay."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        if match.group(2) is not None and not scope.get(name):
            return expand(match.group(2), scope)
        return scope.get(name, match.group(0))

    return _VARIABLE.sub(substitute, word)


def exec_form(text: str) -> tuple[str, ...]:
    """The argv of a JSON-form instruction; Docker wraps the shell form in ``/bin/sh -c``."""
    if text.startswith("["):
        argv: list[str] = json.loads(text)
        return tuple(argv)
    return ("/bin/sh", "-c", text)


def read_image(dockerfile: str, build_args: Mapping[str, str]) -> Image:
    """The image ``dockerfile`` builds with ``build_args``."""
    global_args: dict[str, str] = {}
    declared: set[str] = set()
    stages: list[_StageState] = []
    for line in logical_lines(dockerfile):
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        rest = rest.strip()
        if keyword == "ARG":
            name, has_default, quoted_default = rest.partition("=")
            default = _unquoted(quoted_default)
            declared.add(name)
            if not stages:
                value = default if has_default else ""
                global_args[name] = build_args.get(name, expand(value, global_args))
                continue
            stage = stages[-1]
            if name in build_args:
                value = build_args[name]
            elif has_default:
                value = expand(default, stage.scope())
            else:
                value = global_args.get(name, "")
            stage.args[name] = value
            stage.instructions.append(Instruction(keyword, f"{name}={value}"))
            continue
        if keyword == "FROM":
            words = expand(rest, global_args).split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(stages))
            stages.append(_StageState(name=name, base=words[0]))
            continue
        stage = stages[-1]
        if keyword == "ENV":
            for pair in shlex.split(rest):
                key, equals, value = pair.partition("=")
                assert equals, f"ENV without '=' is not read here: {pair}"
                stage.env[expand(key, stage.scope())] = expand(value, stage.scope())
            text = rest
        elif keyword in {"ENTRYPOINT", "CMD"}:
            argv = exec_form(rest)
            if keyword == "ENTRYPOINT":
                stage.entrypoint = argv
            else:
                stage.cmd = argv
            text = rest
        elif keyword == "HEALTHCHECK":
            _, _, command = rest.partition(" CMD ")
            stage.healthcheck = exec_form(command.strip())
            text = rest
        else:
            # BuildKit expands COPY, EXPOSE, USER, WORKDIR...; for RUN the shell does, with every
            # ARG and ENV in its environment.
            text = expand(rest, stage.scope())
            if keyword == "EXPOSE":
                stage.exposed += text.split()
            elif keyword == "USER":
                stage.user = text
        stage.instructions.append(Instruction(keyword, text))
    assert stages, "no FROM"
    last = stages[-1]
    return Image(
        stages=tuple(Stage(s.name, s.base, dict(s.args), tuple(s.instructions)) for s in stages),
        env=dict(last.env),
        exposed=tuple(last.exposed),
        user=last.user,
        entrypoint=last.entrypoint,
        cmd=last.cmd,
        healthcheck=last.healthcheck,
        unused_args=frozenset(build_args) - declared,
    )
