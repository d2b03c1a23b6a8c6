"""Printed forms read as grids of labelled cells: HTML, a PDF text layer, and OCR'd Form text."""
