"""`python -m webview_client`: the desktop client's window."""

from .app import main

raise SystemExit(main())
