"""`python -m console` runs the same command line as `payments-console`."""

from console.cli import main

raise SystemExit(main())
