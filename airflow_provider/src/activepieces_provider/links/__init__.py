"""Operator extra links of the Activepieces provider."""
