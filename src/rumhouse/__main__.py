import sys

from rumhouse.cli import main

sys.exit(main())
