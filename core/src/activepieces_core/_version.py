"""Package version (single source, read by the User-Agent)."""

__version__ = "0.1.0"
