"""Sensors of the Activepieces provider."""
