"""``python -m complaintflow``: the command line."""

import sys

from complaintflow.cli import main

sys.exit(main())
