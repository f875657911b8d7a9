"""Jobs: the runs of saved sources, by hand or on their schedule.

runner     one run: take the lease, run the source's kind, record, email the report
scheduler  claims due runs atomically, recovers interrupted ones (`serve`, `worker`)
status     what the list of syncs shows for a source: latest run, next run, status
notify     the report email after a run, and the SMTP settings it is sent with
"""
