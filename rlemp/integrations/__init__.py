"""Adapters that let other RL engines use rlemp's simulated users; each imports its engine only when used
(``pip install rlemp[verl]``)."""
