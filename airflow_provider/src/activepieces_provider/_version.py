"""Package version: the one place it is written (hatch reads it for the distribution)."""

__version__ = "0.1.0"
