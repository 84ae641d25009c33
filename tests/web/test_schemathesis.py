"""Property-based: every operation of the OpenAPI spec, fed generated valid and invalid requests with a
valid bearer token, never answers 5xx.

Schemathesis drives the app in-process on an event loop of its own, so the app builds its Runtime
there from settings (open_runtime, like production) over a database cloned from the demo world;
nothing built on pytest's loop is shared with it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi as schemathesis_asgi
from sqlalchemy import select

from agent_brain.config import load_settings
from agent_brain.db.engine import create_engine
from agent_brain.db.models import User
from agent_brain.stores.users import UserStore
from web_api.app import create_app

# Fuzzing every route is a load test of the API: a separate CI step (`make test-slow`), never skipped.
pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 12


@pytest.fixture(scope="module")
async def fuzz_database(databases, demo_template) -> AsyncIterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    name = f"abt_fuzz_{uuid.uuid4().hex[:10]}"
    url = await databases.create(name, template=demo_template)
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            user_id = (await conn.execute(select(User.id).where(User.name == "demo"))).scalar_one()
        token = await UserStore(engine).issue_token(user_id, label="schemathesis")
    finally:
        await engine.dispose()
    yield url, token
    await databases.drop(name)


@pytest.fixture(scope="module")
def api_schema(fuzz_database: tuple[str, str], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    url, _token = fuzz_database
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    app = create_app(load_settings(database_url=url, data_dir=data_dir, openai_api_key="", fb_access_token=""))
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    schemathesis_asgi.shutdown_lifespans()  # closes the app's runtime (waits for turns still running)


# One test per operation; the list comes from the spec itself (building it needs no database).
OPERATIONS = sorted((method.upper(), path) for path, ops in create_app(load_settings()).openapi()["paths"].items()
                    for method in ops)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_operation_answers_5xx(api_schema, fuzz_database, method: str, path: str) -> None:  # type: ignore[no-untyped-def]
    _url, token = fuzz_database
    operation = api_schema[path][method]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
              database=None, phases=[Phase.explicit, Phase.generate])
    def no_5xx(case) -> None:  # type: ignore[no-untyped-def]
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error])

    no_5xx()
