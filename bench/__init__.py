"""``make bench``: performance and quality reports, figures measured side by side in one run."""
