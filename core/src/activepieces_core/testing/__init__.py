"""Local emulator of the Activepieces Projects API, for tests."""
