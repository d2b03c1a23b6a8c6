"""The filing model, its records, errors, values and checks: shared by every reader."""
