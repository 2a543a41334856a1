"""Who may talk to the server: tokens, passwords, login throttling, the address allow-list, certificates."""
