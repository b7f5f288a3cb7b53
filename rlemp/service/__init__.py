"""Simulated users as a service: ``rlemp serve`` puts any backend behind HTTP so that other RL engines (verl,
RLVER, OpenRLHF, a remote rlemp trainer) can talk with the same personas and replay the same scores.

``schemas`` is the wire format, ``store`` the SQLite file every turn is committed to before it is answered,
``engine`` the conversations themselves (one worker thread owns the simulator and the store), ``app`` the
FastAPI application and ``client`` a small synchronous and asynchronous client. FastAPI and uvicorn come with
the ``serve`` extra and are imported only by ``app``.
"""
