"""``hygis serve``: one process kept warm, a fork per command.

:mod:`hygis.serve.client` (standard library only) is what the ``hygis`` command uses first;
:mod:`hygis.serve.server` is the server, started by ``hygis serve`` (:mod:`hygis.cli.serve`).
"""
