"""The shop's business rules: customers, service orders, inventory, sales, accounts, sync ops.

Free of HTTP, gevent and the database engine: every function takes a store
transaction (`Tx`) and plain values and returns plain values, so one rule runs
the same for an HTTP request, an offline op replayed by the server, the desktop
client's local replica and a test.
"""
