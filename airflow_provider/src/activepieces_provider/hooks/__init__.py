"""Hooks of the Activepieces provider."""
