"""A naive DRF contact endpoint, the baseline benchmarks/load_test.py compares ours with.

It lives here, not in `contacts/`, so production code never carries it: only the settings
module `benchmarks.naive.settings` routes to it.
"""
