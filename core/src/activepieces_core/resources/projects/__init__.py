"""``client.projects``: the Projects API (operations in `_ops`, surfaces in `resource`)."""

from activepieces_core.resources.projects.resource import AsyncProjectsResource, ProjectsResource

__all__ = ["AsyncProjectsResource", "ProjectsResource"]
