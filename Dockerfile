# Duban (督办) bot image: `docker build -t duban .` then see docker-compose.yml or the README's Deployment section.

# --- build: Duban and its dependencies into a virtualenv; compilers and caches stay in this stage ----------
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY core ./core
COPY storage ./storage
COPY bot ./bot
COPY jobs ./jobs
COPY duban ./duban
RUN python -m venv /opt/duban \
    && /opt/duban/bin/pip install --no-cache-dir -c requirements.lock '.[postgres]' \
    && /opt/duban/bin/duban --help > /dev/null

# --- run: the virtualenv, antiword for .doc plans, a Chinese font for charts, a non-root user, /data ------
FROM python:3.11-slim

# antiword and the font are whatever the base image's Debian release ships; pinning exact versions would break the
# build at every point release of the base image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends antiword fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 duban \
    && useradd --system --uid 10001 --gid duban --home-dir /data --no-create-home duban \
    && mkdir /data \
    && chown duban:duban /data

COPY --from=build /opt/duban /opt/duban

# SQLite by default, in the /data volume; docker-compose.yml sets DUBAN_DATABASE_URL to PostgreSQL instead.
# A config.toml placed in /data is found as ./config.toml (the working directory).
ENV PATH=/opt/duban/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DUBAN_DATABASE_URL=sqlite:////data/duban.db \
    TZ=Asia/Shanghai

WORKDIR /data
VOLUME ["/data"]
USER 10001:10001

# Healthy when the database answers and its schema is at the newest migration (`duban db current` exits
# 0 then; 1 for an outdated schema, 2 for an unreachable database, both reported as unhealthy).
HEALTHCHECK --interval=60s --timeout=15s --start-period=30s --retries=3 \
    CMD ["sh", "-c", "duban db current > /dev/null || exit 1"]

CMD ["duban", "run"]
