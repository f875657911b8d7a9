"""Mail accounts as a source of contacts: the people one writes to and hears from.

- ``imap``: settings, provider presets, connecting with actionable errors, the Sent folder.
- ``harvest``: which header addresses count, and under which name (pure functions).
- ``scan``: incremental, header-only scans of IMAP folders into correspondents.
- ``vcard``: a correspondent as vCard 3.0 text.
- ``exchange``: an Exchange account over EWS (exchangelib): connect, pull, push.
- ``exchange_map``: vCard fields to Exchange contact fields and back.
- ``exchange_errors``: exchangelib's failures in words a person can act on.
"""
