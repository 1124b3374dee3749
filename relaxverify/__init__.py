"""relaxverify: a static verifier for approximate programs written in Relax."""

__version__ = "0.1.0"
