"""Run BccGuard as ``python -m bccguard``."""

from bccguard.cli import main

raise SystemExit(main())
