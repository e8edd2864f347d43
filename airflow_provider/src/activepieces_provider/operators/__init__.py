"""Operators of the Activepieces provider."""
