"""Text generation behind one small interface (``base.Generator``), with three backends:

- ``llama_cpp.LlamaCppGenerator``: llama-cpp-python on the packaged GGUF (the
  CPU default); JSON-schema constrained decoding through llama.cpp grammars;
  greedy decoding with prompt-lookup drafts. Its uses of llama-cpp-python's
  internals are all in ``llama_internals`` and (drafted decoding)
  ``llama_drafted``; the pure draft guesses in ``drafts``.
- ``transformers_backend.TransformersGenerator``: Hugging Face transformers on
  the same GGUF (dequantised) or on any local model folder. The JSON schema is
  NOT enforced there; the answer parser falls back to [n] markers in free text.
- ``openai.OpenAIGenerator``: any OpenAI-compatible server (vLLM, llama.cpp
  server, TGI, Ollama) over HTTP, streaming server-sent events.

Local models are loaded once per process and shared by every generator built
with the same loading settings; one lock per model serialises generation, so
the web UI can call from several threads. Each backend module is imported
only when chosen, and imports its heavy library itself. Nothing is ever downloaded.
"""

from __future__ import annotations

from qa.backends.base import Generator, Message, cut_at_stop
from qa.config import Settings
from qa.model_files import Progress

__all__ = ["Generator", "Message", "cut_at_stop", "make_generator"]


def make_generator(settings: Settings, progress: Progress | None = None) -> Generator:
    """The generator for ``settings.backend``; local models are loaded once per process."""
    if settings.backend == "llama_cpp":
        from qa.backends.llama_cpp import LlamaCppGenerator

        return LlamaCppGenerator(settings, progress)
    if settings.backend == "transformers":
        from qa.backends.transformers_backend import TransformersGenerator

        return TransformersGenerator(settings, progress)
    from qa.backends.openai import OpenAIGenerator

    return OpenAIGenerator(settings)
