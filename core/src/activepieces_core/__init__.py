"""Typed client, reconcile engine, CLI and emulator for the Activepieces Projects API."""
