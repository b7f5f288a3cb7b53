"""The part of verl (0.5-0.7) that ``rlemp.integrations.verl`` uses, for tests on machines without verl."""
