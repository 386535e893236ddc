"""docs-build: static documentation sites for AI model catalogs.

The pipeline is load → validate → render → convert → write; see :mod:`docs_build.pipeline`.
"""

__version__ = "0.1.0"
