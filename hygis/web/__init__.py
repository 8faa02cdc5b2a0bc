"""``hygis web``: the office's server — a page to check projects, and the plan on the OGC API standards.

Built on pygeoapi (OGC API – Features and – Processes), served by waitress. Modules: ``config``
(settings, pygeoapi's configuration as data), ``collections`` (the layers written once to a
GeoPackage), ``provider`` (pygeoapi's feature provider for it), ``processes`` (the processes, each
calling hygis's Python API), ``uploads`` (safe uploads), ``audit`` (留痕), ``app`` (the WSGI app).
Nothing here is imported by ``import hygis``: pygeoapi is an optional dependency (``hygis[web]``).
"""
