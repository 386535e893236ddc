"""docs-build: static documentation sites for AI model catalogs.

The pipeline is load → validate → render → convert → write; see :mod:`docs_build.pipeline`.
"""
