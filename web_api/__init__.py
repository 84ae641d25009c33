"""Web transport: FastAPI app, SSE streaming and the static web chat."""
