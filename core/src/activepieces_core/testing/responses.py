"""Error bodies exactly as the real server shapes them (application errors and Fastify errors)."""

from __future__ import annotations

from typing import Any

# ActivepiecesError code -> HTTP status (error-handler.ts); unknown codes default to 400.
STATUS_BY_CODE: dict[str, int] = {
    "ENTITY_NOT_FOUND": 404,
    "VALIDATION": 409,
    "FEATURE_DISABLED": 402,
    "QUOTA_EXCEEDED": 402,
    "AUTHORIZATION": 403,
    "PERMISSION_DENIED": 403,
    "AUTHENTICATION": 401,
    "INVALID_API_KEY": 401,
    "INVALID_BEARER_TOKEN": 401,
    "PROJECT_EXTERNAL_ID_ALREADY_EXISTS": 409,
    "EXISTING_ALERT_CHANNEL": 409,
    "EXISTING_USER": 409,
    "SESSION_EXPIRED": 403,
}

REASONS: dict[int, str] = {
    400: "Bad Request",
    404: "Not Found",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class ApplicationError(Exception):
    """The server's application error (its TypeScript ``ActivepiecesError``; unrelated to
    `activepieces_core.errors`): rendered as ``{code, params}`` with the mapped status."""

    def __init__(self, code: str, params: dict[str, Any]) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def status(self) -> int:
        return STATUS_BY_CODE.get(self.code, 400)

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "params": self.params}


class FastifyError(Exception):
    """A framework-level error: the 4-key ``{statusCode, code, error, message}`` shape."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {
            "statusCode": self.status,
            "code": self.code,
            "error": REASONS.get(self.status, "Error"),
            "message": self.message,
        }


def not_found(project_id: str) -> ApplicationError:
    """An unknown (or deleted) project."""
    return ApplicationError("ENTITY_NOT_FOUND", {"entityId": project_id, "entityType": "project"})


def service_forbidden(project_id: str, platform_id: str) -> ApplicationError:
    """An API key (SERVICE principal) asking for a project of another platform."""
    return ApplicationError(
        "AUTHORIZATION",
        {
            "message": "Service is not allowed to access this project",
            "projectId": project_id,
            "platformId": platform_id,
        },
    )


def feature_disabled() -> ApplicationError:
    """A module the platform's plan does not enable (a ``preHandler`` after authentication)."""
    return ApplicationError("FEATURE_DISABLED", {"message": "Feature is disabled"})


def team_project_required() -> ApplicationError:
    """A project-scoped people route on a PERSONAL project."""
    return ApplicationError("VALIDATION", {"message": "Project must be a team project"})


def route_not_found() -> dict[str, Any]:
    """The ``onRequest`` 404 for unknown routes (three keys, no ``code``)."""
    return {"statusCode": 404, "error": "Not Found", "message": "Route not found"}
