pip install ".[test]" && python -m pytest
