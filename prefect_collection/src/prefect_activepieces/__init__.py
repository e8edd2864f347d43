"""Prefect collection for Activepieces tenant projects."""
