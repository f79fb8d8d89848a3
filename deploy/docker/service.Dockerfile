# syntax=docker/dockerfile:1
# Image of one Mocksy service; the build args pick which. docker-compose.yml holds each
# service's args (the contract tests/deploy checks). Build from the repository root, the context
# the uv workspace needs, e.g. for the voice agent:
#   docker build -f deploy/docker/service.Dockerfile -t mocksy/voice-agent \
#     --build-arg SERVICE=voice-agent --build-arg CONSOLE_SCRIPT=mocksy-voice \
#     --build-arg SETTINGS_PREFIX=MOCKSY_VOICE_ --build-arg HTTP_PORT=8003 \
#     --build-arg EXTRA_PORTS=8081 --build-arg DEFAULT_ARGS=serve \
#     --build-arg APT_PACKAGES=espeak-ng .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ARG UV_VERSION=0.13.9
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_CONSTRAINT=/src/constraints.txt \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /src
# The lock is made from constraints.txt (exact pins) and checked against every workspace
# member, so all manifests come first; this layer holds only third-party dependencies and
# survives edits to the sources.
COPY pyproject.toml constraints.txt ./
COPY libs/common/pyproject.toml libs/common/
COPY services/auth/pyproject.toml services/auth/
COPY services/history/pyproject.toml services/history/
COPY services/interview-builder/pyproject.toml services/interview-builder/
COPY services/scoring/pyproject.toml services/scoring/
COPY services/voice-agent/pyproject.toml services/voice-agent/
COPY clients/practice/pyproject.toml clients/practice/
# The folder under services/; the distribution is mocksy-<folder>. Declared after the layers
# every service shares, so they stay cached across the five builds.
ARG SERVICE
# Without it the COPY below would take every service and the sync would name no package.
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<folder under services/>" >&2; exit 1; }
RUN --mount=type=cache,target=/root/.cache/uv \
    uv lock --quiet && \
    uv sync --locked --no-dev --no-install-workspace --package "mocksy-${SERVICE}"
COPY libs/common/ libs/common/
COPY services/${SERVICE}/ services/${SERVICE}/
# Non-editable: the service and common are installed into the venv, so the runtime stage needs
# nothing from /src.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable --package "mocksy-${SERVICE}"

FROM ${PYTHON_IMAGE} AS runtime
# System packages the service needs at run time (the voice agent: espeak-ng, the offline TTS
# fallback and the phonemizer of Piper voices); empty for the others, which then add nothing.
ARG APT_PACKAGES=""
# Word splitting of APT_PACKAGES is wanted: it is a space-separated list.
# hadolint ignore=DL3008
RUN if [ -n "${APT_PACKAGES}" ]; then \
        apt-get update \
        && apt-get install --yes --no-install-recommends ${APT_PACKAGES} \
        && rm -rf /var/lib/apt/lists/*; \
    fi
RUN groupadd --system --gid 10001 mocksy \
    && useradd --system --uid 10001 --gid mocksy --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin mocksy
COPY --from=builder /app/.venv /app/.venv
# The service's console script, the prefix of its settings (MOCKSY_AUTH_, MOCKSY_BUILDER_, ...),
# its HTTP port, any other port it listens on, and the arguments it runs with when given none.
ARG CONSOLE_SCRIPT
ARG SETTINGS_PREFIX
ARG HTTP_PORT
ARG EXTRA_PORTS=""
ARG DEFAULT_ARGS=""
# HOME=/tmp: the root file system is read-only in compose and Kubernetes; /tmp is writable.
# The MOCKSY_IMAGE_* variables carry the build args to run time: exec-form ENTRYPOINT and
# HEALTHCHECK expand no variables, so they read these instead.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    MOCKSY_LOG_JSON=true \
    ${SETTINGS_PREFIX}HTTP_HOST=0.0.0.0 \
    ${SETTINGS_PREFIX}HTTP_PORT=${HTTP_PORT} \
    MOCKSY_IMAGE_SETTINGS_PREFIX=${SETTINGS_PREFIX} \
    MOCKSY_IMAGE_COMMAND=${CONSOLE_SCRIPT} \
    MOCKSY_IMAGE_DEFAULT_ARGS=${DEFAULT_ARGS}
WORKDIR /app
# Numeric ids so Kubernetes' runAsNonRoot can verify the user without reading /etc/passwd.
USER 10001:10001
EXPOSE ${HTTP_PORT} ${EXTRA_PORTS}
# The port is read when the check runs, so an operator who moves the service with
# <prefix>HTTP_PORT moves its health check too.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ[os.environ['MOCKSY_IMAGE_SETTINGS_PREFIX'] + 'HTTP_PORT']; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % port, timeout=2)"]
STOPSIGNAL SIGTERM
# `exec` replaces the shell, so the console script is PID 1 and receives SIGTERM itself.
# Arguments (compose's `command`, Kubernetes' `args`) go to the script; with none it gets
# DEFAULT_ARGS, split into words (the voice image's `serve`; auth and history take none).
ENTRYPOINT ["/bin/sh", "-c", "[ \"$#\" -gt 0 ] || set -- $MOCKSY_IMAGE_DEFAULT_ARGS; exec \"$MOCKSY_IMAGE_COMMAND\" \"$@\"", "mocksy-image"]
