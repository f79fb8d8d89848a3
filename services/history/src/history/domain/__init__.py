"""Pure history logic: read-model records, progress, insights, comparisons and report text."""
