# Chris Disciplined, hosted web mode: many members, each signed in, each with a store of their
# own on the data volume (docs/deployment.md). Build:  docker build -t chris-app .
# Run:    docker run -p 8550:8550 -v chris-data:/data \
#           -e SUPABASE_URL=https://<project>.supabase.co -e SUPABASE_ANON_KEY=<anon key> chris-app
# Put a TLS-terminating proxy in front (the app speaks plain HTTP and WebSocket).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# The app and the exact versions it was tested with (constraints.txt pins every package).
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
COPY assets ./assets
RUN pip install -c constraints.txt . \
    && useradd --system --uid 10001 --home-dir /data chris \
    && mkdir -p /data && chown chris /data

# Member stores live under /data/members/<user id>/ (SQLite + files): keep it on a volume and
# back it up. Nothing else is written at run time.
ENV CHRIS_APP_DATA_DIR=/data \
    XDG_CONFIG_HOME=/data/config \
    FLET_SESSION_TIMEOUT=120
VOLUME ["/data"]
USER chris
EXPOSE 8550
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8550/', timeout=4)"]
# The web build is served from the installed package (no CDN); at run time the only network
# peer is the Supabase project named by SUPABASE_URL.
CMD ["chris-app", "--hosted", "--host", "0.0.0.0", "--port", "8550"]
