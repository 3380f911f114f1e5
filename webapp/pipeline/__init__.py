"""The document engine: stages, parsers and the runner. Importable and usable without Flask."""
