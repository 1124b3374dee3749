pip install . && relaxverify check examples/
