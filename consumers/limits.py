"""Every bound the product puts on input and output, named once.

Parsing, the worker pool, the stream loop and the tools that publish raw events all read their
limits from here, so a limit is changed in one place and the README's "Failure behaviour" table
can be checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024

# -- one document --------------------------------------------------------------------------
MAX_DOCUMENT_BYTES = 20 * MIB  # a raw event; larger is `document_too_large` before parsing
MAX_OFFLINE_DOCUMENT_BYTES = 50 * MIB  # `form4 parse` of local files
MAX_XML_BYTES = 10 * MIB  # an ownership XML, alone or inside a submission
MAX_PDF_PAGES = 50  # counted page by page while walking the page tree, not taken from /Count
MAX_INFLATED_STREAM_BYTES = 16 * MIB  # one PDF stream, inflated under this cap
# What a page's content may make the interpreter read, counting each Form XObject every time it
# is drawn: a 1 MiB form drawn 10,000 times is 10 GiB of interpretation from a small file.
MAX_PAGE_CONTENT_BYTES = 64 * MIB
MAX_PAGE_AREA_POINTS = 200 * 72 * 200 * 72  # 200 x 200 inches; a Letter page is 8.5 x 11
MAX_HTML_TABLE_CELLS = 200_000  # an HTML table's cells after colspan/rowspan expansion
MAX_HTML_COLSPAN = 1000  # the HTML standard's own ceiling
MAX_TEXT_LINE_CHARS = 4096  # a line of Form text longer than this is not a form's line
MAX_PDF_FORM_NESTING = 8  # Form XObjects drawing Form XObjects
MAX_SCAN_PAGE_PIXELS = 40_000_000  # a Letter page at 400 dpi is 15 Mpx; more is not a form scan
# A labelled value is looked for only this close to its label, and only at the first few
# labels: a pattern like "label\s*(.+?)\[" searched over a whole hostile text costs the square
# of its length; in a window it costs a constant per label.
LABEL_WINDOW_CHARS = 600
MAX_LABEL_HITS = 20
MAX_KEY_OR_HEADER_BYTES = 1024  # a longer Kafka key or header value is not an accession number

DOCUMENT_TIMEOUT_SECONDS = 20.0  # wall clock per document; the worker is killed after it
# The parse raises `parse_timeout` itself this long before the kill, so the failure says where.
DOCUMENT_DEADLINE_MARGIN_SECONDS = 1.0
PDF_TIME_BUDGET_SECONDS = 15.0
# A scan is re-read cell by cell with tesseract. Its budget grows with the work (pages, and
# pixels to level and search for rulings) up to a ceiling under the per-document kill: an
# honest long scan gets the time it needs, a hostile one-pager is still cut early.
SCAN_TIME_BUDGET_SECONDS = 18.0  # the ceiling
SCAN_SECONDS_BASE = 3.0
SCAN_SECONDS_PER_PAGE = 2.5  # a Letter page's cells re-read (crops are scaled to fixed dpi)
SCAN_SECONDS_PER_MEGAPIXEL = 0.5  # a Letter page at 150 dpi is 2.1 Mpx
WORKER_MEMORY_LIMIT_BYTES = 1536 * MIB  # address space of a parser process

# -- what we produce -------------------------------------------------------------------------
MAX_ERROR_MESSAGE_CHARS = 1000  # a failure's message: never a quote of a whole document
DLQ_INLINE_MAX_BYTES = 1 * MIB  # the original rides in its dead letter up to this size
# Room kept in every produced message for the Kafka record overhead and our headers.
MESSAGE_OVERHEAD_BYTES = 16 * 1024
MAX_FILING_OUTPUT_BYTES = 16 * MIB  # all Avro records of one filing together
PRODUCER_MESSAGE_MAX_BYTES = 20 * MIB  # librdkafka message.max.bytes of our producers
TOPIC_MAX_MESSAGE_BYTES = 20 * MIB  # max.message.bytes of the topics we create
KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588  # the broker's default, assumed when unknown

# -- one batch (one transaction) -------------------------------------------------------------
BATCH_MAX_INPUT_BYTES = 64 * MIB  # raw events taken into one batch
BATCH_MAX_OUTPUT_BYTES = 128 * MIB  # records and dead letters held for one transaction
# A batch stops taking new documents at this share of max.poll.interval.ms, so it commits long
# before the group coordinator would evict the consumer.
BATCH_TIME_SHARE_OF_POLL_INTERVAL = 0.5
MAX_POLL_INTERVAL_MS = 300_000  # librdkafka's default, set explicitly so the budget follows it


# The issuer directory (EDGAR's company_tickers.json, ~10k issuers, ~1 MB today).
MAX_ISSUER_DIRECTORY_BYTES = 64 * MIB
ISSUER_DIRECTORY_RECHECK_SECONDS = 60.0  # how often a worker looks whether the file changed


def bounded_text(text: str, limit: int = MAX_ERROR_MESSAGE_CHARS) -> str:
    """`text` cut to `limit` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more characters]"


# -- the stream's neighbours: EDGAR, the worker pipes, the alerts webhook --------------------
# Each worker holds its current document and, when it is small, the next one waiting in its
# pipe, so it never idles for a round trip to the main process between documents. The next one
# must fit the pipe's buffer (64 KiB on Linux) with room to spare: a send to a worker that is
# stuck on its current document must never block the main loop, which enforces the deadlines.
QUEUED_JOB_MAX_BYTES = 32 * 1024
TESSERACT_TIMEOUT_SECONDS = 20.0  # one tesseract call (a crop or a page); the scan has its own
WEBHOOK_RESPONSE_MAX_BYTES = 64 * 1024  # read (and dropped) from any answer, never more
# Alerts waiting for the webhook beyond which the subscriber stops fetching (resumes at half).
MAX_UNSETTLED_ALERTS = 1000
SEEN_RECORD_IDS = 1_000_000  # record ids the alerts engine remembers to never alert twice
# Days of daily form index read back from the feed's oldest entry to close a gap the feed no
# longer reaches (a long outage), stopping at the first day that lists a filing published.
MAX_GAP_DAYS = 10
MAX_FEED_PAGES = 5  # of 100 entries, paged back while a whole page is new (then the index)
MAX_REMEMBERED_VALIDATORS = 64  # ETag / Last-Modified kept per feed URL, oldest dropped first
# The most one EDGAR answer may be (a submission is capped lower, at the raw topic's limit).
EDGAR_RESPONSE_MAX_BYTES = 50 * MIB


# -- what one document may be and become, as passed to parse_document ----------------------
@dataclass(frozen=True, slots=True)
class Limits:
    """Per-document bounds on what is read and what it may become; the stream adds a
    wall-clock budget on top (worker timeout)."""

    max_bytes: int = MAX_OFFLINE_DOCUMENT_BYTES
    max_xml_bytes: int = MAX_XML_BYTES
    max_pdf_pages: int = MAX_PDF_PAGES
    # One encoded record (the topic's message limit less overhead) and all of a filing's.
    max_record_bytes: int = PRODUCER_MESSAGE_MAX_BYTES - MESSAGE_OVERHEAD_BYTES
    max_filing_output_bytes: int = MAX_FILING_OUTPUT_BYTES


DEFAULT_LIMITS = Limits()
