"""Benchmarks and synthetic data for StockPledge."""
