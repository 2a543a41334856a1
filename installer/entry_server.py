"""ServitecServer's entry point: `python -m appliance` as an executable.

PyInstaller runs a script, not a module, and appliance/__main__.py imports its
package relatively; this script imports it as a package instead. main() itself
monkey-patches for gevent before `serve` imports anything networked, as under
`python -m appliance`.
"""

from appliance.__main__ import main

raise SystemExit(main())
