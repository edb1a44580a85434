"""Run the native messaging host: ``python -m bccguard.native_host``."""

from bccguard.native_host.host import main

raise SystemExit(main())
