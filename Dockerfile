# ugc-engine: one image for the API, the worker and the migrations (see docker-compose.yml).
#   docker build -t ugc-engine .
#   docker run ugc-engine                 -> ugc api --host 0.0.0.0
#   docker run ugc-engine ugc worker      -> the Temporal worker
#   docker run ugc-engine ugc migrate     -> alembic upgrade head

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: a virtualenv holding the project and its runtime dependencies (no dev extras) ---
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv

WORKDIR /src

# Dependencies first, read from pyproject.toml alone: editing the code does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# Then the project itself: a regular (non-editable) install into the venv, so /src is not needed later.
COPY . .
RUN pip install --no-deps . \
    && pip check

# --- runtime: the venv plus what Alembic reads from the working directory ---
FROM ${PYTHON_IMAGE}

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN groupadd --system --gid 10001 ugc \
    && useradd --system --uid 10001 --gid ugc --create-home --home-dir /home/ugc --shell /usr/sbin/nologin ugc

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
# alembic.ini says script_location = %(here)s/migrations: shipping both here lets `ugc migrate` run
# from /app whether the CLI points Alembic at this ini file or at the installed `migrations` package.
# Both stay root-owned (read-only for the app user); .env is never copied (.dockerignore): settings
# come from the container's environment.
COPY alembic.ini ./
COPY migrations ./migrations

USER 10001:10001

EXPOSE 8000
# SIGTERM (the default stop signal) lets the worker drain in-flight activities and uvicorn finish requests.
CMD ["ugc", "api", "--host", "0.0.0.0"]
