"""Enrichment helpers: language detection and an explained quality score, pure Python and model-free."""
