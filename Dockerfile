# liveclass: one process serving HTTP + Socket.IO on :8000, SQLite in /data by default.
#   docker build -t liveclass .
#   docker run -p 8000:8000 -v liveclass-data:/data -e LIVECLASS_JWT_SECRET=... liveclass
# The server listens on 0.0.0.0 inside the container (or it could not be reached);
# publish it as -p 127.0.0.1:8000:8000 to keep it on the host. No key is built in:
# without LIVECLASS_JWT_SECRET / LIVECLASS_SECRET_KEY the first start generates
# random ones into /data/liveclass.db.keys (0600, in the volume), and
# `docker exec <container> liveclass token ...` signs with that same file.
# For PostgreSQL set LIVECLASS_DATABASE_URL=postgresql+asyncpg://..., both keys
# (the container exits 2 naming any that is missing) and run `liveclass migrate`
# once per release (SQLite is migrated on start).

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY server ./server
COPY migrations ./migrations
RUN pip wheel --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    LIVECLASS_DATABASE_URL=sqlite+aiosqlite:////data/liveclass.db \
    LIVECLASS_LOG_JSON=true
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels liveclass \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin liveclass \
 && mkdir -p /data && chown liveclass:liveclass /data
USER liveclass
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
STOPSIGNAL SIGTERM
CMD ["liveclass", "serve", "--host", "0.0.0.0", "--port", "8000"]
