pip install ".[lsp]"
