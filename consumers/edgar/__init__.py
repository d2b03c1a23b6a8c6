"""The upstream half: EDGAR's feeds and indexes to raw filing events (`form4 watch-edgar`)."""
