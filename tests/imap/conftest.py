"""The mail fixtures (Dovecot, accounts, the seeded mailbox) are in
tests/support/mail_fixtures.py, shared with the API tests through tests/conftest.py."""
