"""What a command that asks EDGAR for something is configured with (the common layers are
consumers.kafka.settings)."""

from __future__ import annotations

from pydantic import Field

from consumers.kafka.settings import ServiceSettings


class EdgarAccessSettings(ServiceSettings):
    """What a command that asks EDGAR for something needs: who is asking, and (for the issuer
    directory) the company tickers file it reads or keeps."""

    edgar_user_agent: str | None = Field(
        default=None, description='Required by the SEC: "Name contact@example.com".'
    )
    issuer_directory: str | None = Field(
        default=None,
        description="EDGAR's company tickers file: a path, or (form4 run) a URL such as "
        "https://www.sec.gov/files/company_tickers.json; rendered filings get their issuer CIK "
        "from it.",
    )
