"""Users, roles, password login, access/refresh tokens and their revocation."""
