pip install . && relaxverify check examples/
pip install ".[test]" && python -m pytest
