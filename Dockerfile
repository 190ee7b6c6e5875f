# rumhouse: the beacon endpoint, API and dashboard, as a stateless worker in front of ClickHouse
# (docker-compose.yml), or on its own with the embedded engine and a volume for /data.
FROM python:3.12.8-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RUMHOUSE_DATA_DIR=/data

WORKDIR /app
# The dependencies exactly as a lock pins them (a layer of its own, reused while the lock is unchanged):
# `server` for workers in front of a ClickHouse server (no chDB, about 790 MB less), `embedded` for an
# image that keeps its data in /data itself (docker build --build-arg RUMHOUSE_LOCK=embedded .).
ARG RUMHOUSE_LOCK=server
COPY requirements/${RUMHOUSE_LOCK}.txt ./requirements/
RUN pip install --require-hashes -r requirements/${RUMHOUSE_LOCK}.txt
COPY pyproject.toml README.md ./
COPY src ./src
COPY clickhouse ./clickhouse
RUN pip install --no-deps --no-build-isolation . \
    && useradd --system --uid 10001 --home-dir /data rumhouse \
    && mkdir -p /data && chown rumhouse /data

USER rumhouse
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"]
CMD ["rumhouse", "serve", "--host", "0.0.0.0", "--port", "8080"]
