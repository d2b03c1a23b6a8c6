"""EDGAR over HTTP under the SEC's fair-access rules: the client every command that asks EDGAR
for something shares (the watcher, the issuer directory's refresh), and its settings."""
