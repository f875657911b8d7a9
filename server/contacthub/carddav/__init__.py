"""CardDAV: Radicale's WSGI application on our storage plugin (app), behind a guard that
refuses bad input in words before Radicale sees it (guard)."""
