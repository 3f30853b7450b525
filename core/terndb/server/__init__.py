"""The TernDB sync server (``terndb serve``).

``store`` (merge, log, rules) and ``auth``/``config`` use only the standard library and
TernDB; ``app`` builds the ASGI application and is the only module importing Starlette
(install the ``terndb[server]`` extra).
"""
