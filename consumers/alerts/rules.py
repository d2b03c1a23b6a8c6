"""Alert rules and their settings: defaults in code, overrides from a small YAML or TOML file.

A rules file names only what it changes:

    large_trade:    {min_value: 250000}
    cluster_buying: {min_insiders: 3, window_days: 10}
    holding_change: {enabled: false}
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True


class LargeTradeRule(_Rule):
    """An open-market purchase or sale whose value (shares x price) reaches `min_value`."""

    codes: list[str] = Field(default_factory=lambda: ["P", "S"])
    min_value: Decimal = Decimal("1000000")


class ClusterBuyingRule(_Rule):
    """`min_insiders` distinct insiders of one issuer buying within `window_days` days."""

    codes: list[str] = Field(default_factory=lambda: ["P"])
    min_insiders: int = Field(default=3, ge=2)
    window_days: int = Field(default=14, ge=1)


class HoldingChangeRule(_Rule):
    """A Table I line changing the holding by at least `min_percent` of what was held before."""

    codes: list[str] = Field(default_factory=lambda: ["P", "S"])
    min_percent: Decimal = Decimal("25")
    min_shares: Decimal = Decimal("1000")  # ignore tiny holdings where percents mean nothing


class Context(BaseModel):
    """Facts attached to every alert: the 10b5-1 box, and whether the filing was late."""

    model_config = ConfigDict(extra="forbid")
    late_after_days: int = Field(default=2, ge=0)  # Form 4 is due within two business days


class AlertRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    large_trade: LargeTradeRule = Field(default_factory=LargeTradeRule)
    cluster_buying: ClusterBuyingRule = Field(default_factory=ClusterBuyingRule)
    holding_change: HoldingChangeRule = Field(default_factory=HoldingChangeRule)
    context: Context = Field(default_factory=Context)


def load_rules(path: Path | None) -> AlertRules:
    """Defaults, overridden by a .yaml/.yml or .toml file; unknown keys are an error."""
    if path is None:
        return AlertRules()
    text = path.read_text()
    if path.suffix.lower() == ".toml":
        data = tomllib.loads(text)
    elif path.suffix.lower() in (".yaml", ".yml"):
        data = yaml.safe_load(text) or {}
    else:
        raise ValueError(f"{path}: rules files are .yaml, .yml or .toml")
    return AlertRules.model_validate(data)
