"""Source adapters: each turns what a source holds into `Incoming` records for the reconciler."""
