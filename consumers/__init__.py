"""form4-stream: SEC ownership filings (Forms 3, 4, 5) to exact Avro transaction records."""

__version__ = "0.1.0"
PARSER_VERSION = f"form4-stream/{__version__}"
