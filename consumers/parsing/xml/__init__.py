"""Ownership XML and the EDGAR submissions that carry it."""
