"""pytest plugin: fixtures that serve the Activepieces emulator (filled in by the emulator work)."""
