from __future__ import annotations

from cigen.cli import main

raise SystemExit(main())
