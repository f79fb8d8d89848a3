"""Binary renderings of reports and charts (PDF, PNG); no I/O, just bytes."""
