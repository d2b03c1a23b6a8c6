"""Benchmarks and the accuracy scorer they share with the corpus tests."""
