"""The issuer directory: a rendered filing's issuer (ticker, name) to its EDGAR CIK."""
