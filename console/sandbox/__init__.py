"""The embedded sandbox: a faithful, stateful Payment Processing API on FastAPI + SQLite.

Import-light on purpose: FastAPI and uvicorn are imported only by the submodules that
serve requests (`app`, `server`), never by this package or by `command` at import time.
"""
