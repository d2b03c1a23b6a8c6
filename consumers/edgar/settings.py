"""`form4 watch-edgar`'s settings (the common layers are consumers.kafka.settings)."""

from __future__ import annotations

from pydantic import Field, field_validator

from consumers.edgar_access.client import SEC_MAX_REQUESTS_PER_SECOND
from consumers.edgar_access.settings import EdgarAccessSettings


class WatcherSettings(EdgarAccessSettings):
    """`form4 watch-edgar`."""

    metrics_port: int = 9109
    topic: str = "sec.filings.raw"
    seen_topic: str = "sec.filings.seen"
    failures_topic: str = "sec.filings.watch-failures"
    transactional_id: str = "form4-watch-edgar"
    issuer_directory_refresh_hours: float = Field(default=24.0, gt=0)
    edgar_base_url: str = "https://www.sec.gov"
    forms: str = "3,4,5"  # amendments (4/A) come with their base form
    # Seconds between polls of the feed (one request per form type). At 1 s the three feeds
    # take 3 of the 10 requests a second fair access allows, leaving 5 (after the jitter
    # margin) for downloads: a filing-season burst of 250 a minute fits.
    interval: float = Field(default=1.0, gt=0)
    max_requests_per_second: int = Field(default=SEC_MAX_REQUESTS_PER_SECOND, ge=1, le=10)
    # Requests are spaced over 1 s plus this, so EDGAR, seeing them after network delays that
    # differ by up to this much, never counts more than the limit in any one second.
    request_jitter_margin_seconds: float = Field(default=0.25, ge=0.0, le=5.0)

    @field_validator("forms")
    @classmethod
    def _known_forms(cls, value: str) -> str:
        forms = [f.strip().upper() for f in value.split(",") if f.strip()]
        if not forms or not set(forms) <= {"3", "4", "5"}:
            raise ValueError("form types are a comma list of 3, 4, 5")
        return ",".join(forms)

    @property
    def form_types(self) -> tuple[str, ...]:
        return tuple(self.forms.split(","))
