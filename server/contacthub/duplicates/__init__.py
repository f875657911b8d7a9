"""One person, one card: duplicates found across an account's books, and merged.

find: matching keys (normalised emails, E.164 phones, names), lanes and groups, dismissals;
merge: a merged card from chosen fields, its sources re-linked, and the undo.
"""
