"""Scanned PDFs read from their pixels: page image, cells, tesseract re-reads, agreement, checks."""
