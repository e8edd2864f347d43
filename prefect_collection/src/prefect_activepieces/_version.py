"""Package version (also the block schema version Prefect registers)."""

__version__ = "0.1.0"
