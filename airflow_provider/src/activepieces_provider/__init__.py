"""Apache Airflow provider for Activepieces tenant projects.

Import-light on purpose (provider discovery and DAG parsing import it): the hook, operators,
sensor and trigger live in their own modules.
"""

from activepieces_provider._version import __version__

__all__ = ["__version__"]
