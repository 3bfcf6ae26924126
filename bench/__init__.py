"""Benchmarks (`make bench`): each bench/bench_*.py measures the app beside a raw baseline."""
