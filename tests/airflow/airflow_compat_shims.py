"""Test-only workarounds that let ``dag.test()`` run on the locked Airflow 3.2.2 stack.

Two incompatibilities in the lock (not in the provider) break Airflow's in-process Execution
API, which every ``dag.test()`` task talks to:

1. FastAPI 0.139 (pinned for Prefect) includes routers lazily (``_IncludedRouter``); cadwyn 7.0
   only sees flat routes and refuses to build the versioned API
   (``RouteResponseBySchemaConverterDoesNotApplyToAnythingError``). While the Execution API app
   is built, ``include_router`` is switched back to FastAPI's former eager copy.
2. ``dag.test()`` builds a new in-process API per task and starts its lifespan (svcs registry)
   without waiting, so the first request races it (``'State' object has no attribute
   'svcs_registry'``). One API is built, its lifespan awaited, and shared by all tasks.

Nothing here touches the provider or the Activepieces client; it only concerns Airflow's own
plumbing, and is scoped to the Airflow tests (the patch is undone once the app exists).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

_API: Any = None


def _eager_include_router(
    self: Any,
    router: Any,
    *,
    prefix: str = "",
    tags: list[Any] | None = None,
    dependencies: Any = None,
    default_response_class: Any = None,
    responses: dict[Any, Any] | None = None,
    callbacks: list[Any] | None = None,
    deprecated: bool | None = None,
    include_in_schema: bool = True,
    generate_unique_id_function: Any = None,
    **_: Any,
) -> None:
    """FastAPI's pre-0.139 ``include_router``: copy every route into this router."""
    from fastapi import routing as fr
    from fastapi.datastructures import Default
    from fastapi.utils import generate_unique_id, get_value_or_default
    from starlette import routing as sr
    from starlette.responses import JSONResponse

    default_response_class = default_response_class or Default(JSONResponse)
    generate_unique_id_function = generate_unique_id_function or Default(generate_unique_id)
    for route in router.routes:
        if isinstance(route, fr.APIRoute):
            self.add_api_route(
                prefix + route.path,
                route.endpoint,
                response_model=route.response_model,
                status_code=route.status_code,
                tags=[*(tags or []), *route.tags],
                dependencies=[*(dependencies or []), *route.dependencies],
                summary=route.summary,
                description=route.description,
                response_description=route.response_description,
                responses={**(responses or {}), **route.responses},
                deprecated=route.deprecated or deprecated or self.deprecated,
                methods=route.methods,
                operation_id=route.operation_id,
                response_model_include=route.response_model_include,
                response_model_exclude=route.response_model_exclude,
                response_model_by_alias=route.response_model_by_alias,
                response_model_exclude_unset=route.response_model_exclude_unset,
                response_model_exclude_defaults=route.response_model_exclude_defaults,
                response_model_exclude_none=route.response_model_exclude_none,
                include_in_schema=route.include_in_schema
                and self.include_in_schema
                and include_in_schema,
                response_class=get_value_or_default(
                    route.response_class,
                    router.default_response_class,
                    default_response_class,
                    self.default_response_class,
                ),
                name=route.name,
                route_class_override=type(route),
                callbacks=[*(callbacks or []), *(route.callbacks or [])],
                openapi_extra=route.openapi_extra,
                generate_unique_id_function=get_value_or_default(
                    route.generate_unique_id_function,
                    router.generate_unique_id_function,
                    generate_unique_id_function,
                    self.generate_unique_id_function,
                ),
            )
        elif isinstance(route, sr.Route):
            self.add_route(
                prefix + route.path,
                route.endpoint,
                methods=list(route.methods or []),
                include_in_schema=route.include_in_schema,
                name=route.name,
            )
        else:  # pragma: no cover - the Execution API has no other route kinds
            raise TypeError(f"unsupported route type {type(route).__name__}")
    for handler in router.on_startup:
        self.add_event_handler("startup", handler)
    for handler in router.on_shutdown:
        self.add_event_handler("shutdown", handler)
    self.lifespan_context = fr._merge_lifespan_context(
        self.lifespan_context, router.lifespan_context
    )


@contextlib.contextmanager
def _eager_routers() -> Iterator[None]:
    from fastapi import routing as fr

    if not hasattr(fr, "_IncludedRouter"):  # older FastAPI: nothing to work around
        yield
        return
    lazy = fr.APIRouter.include_router
    fr.APIRouter.include_router = _eager_include_router  # type: ignore[method-assign]
    try:
        yield
    finally:
        fr.APIRouter.include_router = lazy  # type: ignore[method-assign]


def _shared_api_server() -> Any:
    global _API
    if _API is None:
        with _eager_routers():
            import airflow.api_fastapi.execution_api.routes  # noqa: F401  (built eagerly here)
            from airflow.api_fastapi.execution_api.app import InProcessExecutionAPI

            api = InProcessExecutionAPI()
            api.app  # noqa: B018
        api.transport  # noqa: B018  (starts the lifespan on a2wsgi's loop)
        deadline = time.monotonic() + 60
        while not hasattr(api.app.state, "svcs_registry"):
            if time.monotonic() > deadline:
                raise RuntimeError("the in-process Execution API did not start")
            time.sleep(0.02)
        _API = api
    return _API


def install() -> None:
    """Make ``dag.test()`` use one ready, cadwyn-compatible in-process Execution API."""
    from airflow.sdk.execution_time import supervisor

    _shared_api_server()
    supervisor.in_process_api_server = _shared_api_server
