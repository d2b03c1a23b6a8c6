"""Pure parsing: bytes in, a Filing or a ParseError out. Never imports Kafka."""

from consumers.parsing.core.errors import ParseError, Reason
from consumers.parsing.core.model import Filing
from consumers.parsing.document import parse_document

__all__ = ["Filing", "ParseError", "Reason", "parse_document"]
