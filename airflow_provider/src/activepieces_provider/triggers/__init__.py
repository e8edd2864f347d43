"""Triggers of the Activepieces provider."""
