import sys

from augment.cli import main

sys.exit(main())
