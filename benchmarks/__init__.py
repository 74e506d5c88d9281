"""Benchmarks: scripts run by hand (see README), never imported by production code."""
