"""Real DAV clients (vdirsyncer, litmus) against contacthub and a plain Radicale."""
