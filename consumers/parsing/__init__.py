"""Pure parsing: bytes in, a Filing or a ParseError out. Never imports Kafka."""

from consumers.parsing.document import parse_document
from consumers.parsing.errors import ParseError, Reason
from consumers.parsing.model import Filing

__all__ = ["Filing", "ParseError", "Reason", "parse_document"]
