"""The Relax grammar (relax.lark), shipped as package data."""
