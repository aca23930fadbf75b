"""qa: answers from a folder of documents, every sentence cited and checked.

Pipeline: ingest -> clean -> chunking -> embed -> store (index) -> retrieve
-> answer (prompts, generate, citations, verify). See docs/ARCHITECTURE.md.
"""

__version__ = "0.1.0"
