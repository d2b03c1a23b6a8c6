"""The reference subscriber: transaction records to insider-trading alerts (`form4 alerts`)."""
