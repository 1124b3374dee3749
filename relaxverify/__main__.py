"""`python -m relaxverify`: the command line (relaxverify/cli/main.py, docs/cli.md)."""
from relaxverify.cli.main import main_exit

main_exit()
