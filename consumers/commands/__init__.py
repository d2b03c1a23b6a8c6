"""The `form4` subcommands, one module each: thin click shells over the packages that
do the work."""
