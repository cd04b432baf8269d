"""Filing's schema migrations: a branch of its own, from the catalog revision it follows."""
