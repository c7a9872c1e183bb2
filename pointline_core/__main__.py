import sys

from pointline_core.cli import main

sys.exit(main())
