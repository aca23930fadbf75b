"""The chat page's entry point at the project root: ``python ui.py [flags]``
is ``qa serve [flags]`` (same flags, one Settings built by the CLI; the index
is brought up to date first). The page itself lives in ``qa/web.py``.

    python ui.py [--host 127.0.0.1] [--port 7860] [--index index/] [--sources sources/]
                 [--backend llama_cpp|transformers|openai] [--model PATH] [--base-url URL]
                 [--share] [--maintainer-password ...]
"""

from __future__ import annotations

import sys

from qa.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
