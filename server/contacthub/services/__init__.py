"""What the JSON API (web/api) and the admin page (web/admin) both call: one module per
resource, functions of plain arguments (the RunContext first, then the user, ids and
the values a person sent), no Flask. They refuse with contacthub.errors' UserErrors,
which carry the field at fault; the web layer renders them.

    books          address books: list, create, rename, delete
    contacts       search, get, create, replace (If-Match), delete
    autocomplete   email suggestions for composing mail
    devices        a phone's pushes into "From iOS"
    app_passwords  a password per device: list, create, revoke; CardDAV's own-password setting
    imports        a CSV file with its settings and mapping, dry run
    syncs          a CSV import's origin (upload, HTTP, FTP), schedule and report emails
    mail_accounts  IMAP and Exchange accounts
    sources        what every source offers: find, delete (not while running), run, runs
    history_refs   a contact of the history by its API id, the account a run belongs to
    times          ISO 8601 times in and out of the history's doors
"""
