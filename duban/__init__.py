"""Application wiring: configuration, logging and the `duban` command line."""
