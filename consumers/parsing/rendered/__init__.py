"""Rendered forms (PDF, EDGAR's HTML, OCR'd text) to the readers that read them: above both the
grid readers and the scan reader, since a PDF goes to one or the other by its text layer."""
