"""Scheduled work: wiring of the daily digest and other timed jobs."""
