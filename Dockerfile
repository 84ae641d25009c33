# agent-brain: the web chat + Telegram bot (`serve`) and background workers (`worker`) from one image.
# Build stage: every dependency is resolved and installed here, never at container start.
FROM python:3.12-slim AS build
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY agent_brain ./agent_brain
COPY web_api ./web_api
COPY telegram_bot ./telegram_bot
COPY migrations ./migrations
COPY prompts ./prompts
# The package reads migrations/ and prompts/ beside its source (agent_brain.config.REPO_ROOT): an
# in-place install keeps them together at /app.
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/venv/bin/pip install --no-cache-dir -e . \
 && find /app -name '__pycache__' -prune -exec rm -rf {} +

# Runtime stage: the virtualenv and the application, owned by root, run by an unprivileged user.
FROM python:3.12-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATA_DIR=/data \
    ENVIRONMENT=production
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin agent \
 && mkdir -p /data && chown agent:agent /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
USER agent
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]
ENTRYPOINT ["agent-brain"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--no-demo"]
