"""The production files hold together: compose, image and .env.example agree with the settings.

There is no container engine here (and `docker compose` may be missing), so the compose file is
checked against the structure it must have; CI runs `docker compose config` where it exists.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from agent_brain.config import REPO_ROOT, Settings, SettingsError, load_settings

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
DOCKERFILE = (REPO_ROOT / "Dockerfile").read_text()
ENV_EXAMPLE = (REPO_ROOT / ".env.example").read_text()
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "APP_PORT"}
OUTSIDE_SETTINGS = {"AGENT_BRAIN_CLOCK"}


def _setting_names() -> set[str]:
    return {(f.validation_alias or name).upper() for name, f in Settings.model_fields.items()}  # type: ignore[union-attr]


def test_compose_runs_the_database_the_app_and_a_worker_with_their_volumes() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"db", "app", "worker"}
    app, worker = services["app"], services["worker"]
    assert app["build"] == worker["build"] == "." and app["image"] == worker["image"]
    assert app["command"][0] == "serve" and worker["command"][0] == "worker"
    for svc in (app, worker):
        assert svc["depends_on"]["db"]["condition"] == "service_healthy"
        assert svc["environment"]["ENVIRONMENT"] == "production"
        assert "appdata:/data" in svc["volumes"] and svc["environment"]["DATA_DIR"] == "/data"
        assert svc["environment"]["ENCRYPTION_KEY"].startswith("${ENCRYPTION_KEY:?")  # never silently generated
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert set(COMPOSE["volumes"]) == {"pgdata", "appdata"}
    assert "pip install" not in (REPO_ROOT / "docker-compose.yml").read_text()  # installed at build time


def test_every_variable_is_documented_and_real() -> None:
    documented = set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE, re.MULTILINE))
    assert _setting_names() <= documented, _setting_names() - documented
    assert documented <= _setting_names() | COMPOSE_ONLY | OUTSIDE_SETTINGS, documented - _setting_names()
    used = set(re.findall(r"\$\{([A-Z_]+)", (REPO_ROOT / "docker-compose.yml").read_text()))
    assert used <= documented


def test_the_image_is_multi_stage_slim_non_root_and_healthchecked() -> None:
    assert len(re.findall(r"^FROM ", DOCKERFILE, re.MULTILINE)) >= 2
    assert all("slim" in line for line in re.findall(r"^FROM .*$", DOCKERFILE, re.MULTILINE))
    assert re.search(r"^USER (?!root)\w+", DOCKERFILE, re.MULTILINE)
    assert "HEALTHCHECK" in DOCKERFILE and "/health" in DOCKERFILE
    copied = set(re.findall(r"^COPY (\w+) \./", DOCKERFILE, re.MULTILINE))
    assert {"agent_brain", "web_api", "telegram_bot", "migrations", "prompts"} <= copied


def test_production_refuses_to_start_without_an_explicit_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="ENCRYPTION_KEY is required when ENVIRONMENT=production"):
        load_settings(environment="production", encryption_key="", data_dir=tmp_path)
    assert load_settings(environment="development", encryption_key="", data_dir=tmp_path).encryption_key is None


@pytest.mark.skipif(shutil.which("docker") is None or subprocess.run(
    ["docker", "compose", "version"], capture_output=True).returncode != 0, reason="no docker compose here")
def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    env = {"POSTGRES_PASSWORD": "x", "ENCRYPTION_KEY": "y", "PATH": "/usr/bin:/usr/local/bin"}
    (tmp_path / ".env").write_text("")
    done = subprocess.run(["docker", "compose", "-f", str(REPO_ROOT / "docker-compose.yml"), "--env-file",
                           str(tmp_path / ".env"), "config", "--quiet"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
