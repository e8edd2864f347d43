"""Apache Airflow provider for Activepieces tenant projects.

Import-light on purpose (provider discovery and DAG parsing import it): the hook, operators,
sensor and trigger live in their own modules.
"""

__version__ = "0.1.0"
