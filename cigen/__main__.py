from __future__ import annotations

from cigen.cli.main import main

raise SystemExit(main())
