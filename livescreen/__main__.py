import sys

from livescreen.cli import main

sys.exit(main())
