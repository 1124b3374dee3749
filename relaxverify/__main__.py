import sys

from relaxverify.cli.main import main

sys.exit(main())
