"""Hand-written fakes for unit tests of services built on `common` (no network, no servers)."""
