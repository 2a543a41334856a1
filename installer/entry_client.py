"""ServitecCliente's entry point: `python -m webview_client` as an executable (see entry_server.py)."""

from webview_client.app import main

raise SystemExit(main())
