"""`hygis web`'s settings, and the pygeoapi configuration made from them as data.

The defaults live in ``data/web.yml`` (limits, and the template of pygeoapi's configuration);
an administrator's ``--config`` YAML changes them once for the office; command-line flags win
over both. Nothing here computes anything about the plan: it says where things are and how
much a request may ask for.
"""

from __future__ import annotations

import copy
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hygis.errors import HygisInputError
from hygis.settings import DATA_DIR, cache_dir

#: The file holding the limits' defaults and the pygeoapi template.
TEMPLATE = DATA_DIR / "web.yml"

#: The environment variable a token may come from (so that it is not on a command line).
TOKEN_ENV = "HYGIS_WEB_TOKEN"

#: Keys of an administrator's config file besides ``limits`` and ``metadata``.
CONFIG_KEYS = (
    "host",
    "port",
    "url",
    "token",
    "state_dir",
    "projects",
    "control_lines",
    "ecological_redline",
    "permanent_farmland",
    "urban_development_boundary",
    "crs",
    "workers",
    "scheduler",
    "gcj02_input",
    "swap_xy",
    "project_id_field",
)

#: The plan-input keys the server resolves once and every check uses.
LINE_KEYS = ("control_lines", "ecological_redline", "permanent_farmland", "urban_development_boundary")


def template() -> dict[str, Any]:
    """``data/web.yml`` as a dict (a fresh copy: callers may change it)."""
    with TEMPLATE.open(encoding="utf-8") as fh:
        return copy.deepcopy(yaml.safe_load(fh))


@dataclass
class WebSettings:
    """Everything ``hygis web`` needs to start: address, inputs, folders and limits.

    Attributes
    ----------
    host, port : str, int
        Where to listen; 127.0.0.1 by default (this machine only).
    url : str, optional
        The address clients use (behind the office's reverse proxy); default ``http://host:port``.
    token : str, optional
        Required (bearer token or cookie) on every request when set; required to listen beyond
        this machine.
    state_dir : Path
        The server's folder: the layers' GeoPackage, the pygeoapi configuration, jobs, audit log.
    inputs : dict
        The plan-input options as ``hygis check`` takes them (``control_lines``, the line flags,
        ``projects``, ``crs``), resolved once at start.
    limits : dict
        From ``data/web.yml``'s ``limits``, changed by the config file.
    metadata : dict
        pygeoapi's service metadata (title, contact …), changed by the config file.
    workers : int, optional
        Processes of the local overlap engine per check (default: hygis's default).
    scheduler : str, optional
        A dask.distributed scheduler's address: every check runs on that cluster
        (``hygis check --scheduler``).
    """

    host: str = "127.0.0.1"
    port: int = 5000
    url: str | None = None
    token: str | None = None
    state_dir: Path = field(default_factory=lambda: cache_dir() / "web")
    inputs: dict[str, Any] = field(default_factory=dict)
    limits: dict[str, Any] = field(default_factory=lambda: dict(template()["limits"]))
    metadata: dict[str, Any] = field(default_factory=dict)
    workers: int | None = None
    scheduler: str | None = None

    @property
    def base_url(self) -> str:
        """The URL pygeoapi writes in its links."""
        if self.url:
            return self.url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def audit_log(self) -> Path:
        """The append-only audit log (JSON lines)."""
        return self.state_dir / "audit.jsonl"

    @property
    def jobs_dir(self) -> Path:
        """One folder per job below it."""
        return self.state_dir / "jobs"

    def limit(self, name: str) -> float:
        """A limit from ``data/web.yml`` (as changed by the config file)."""
        return float(self.limits[name])

    def concurrency(self) -> int:
        """Checks run at once (the others wait in line)."""
        n = int(self.limits.get("concurrency") or 0)
        return n if n > 0 else max(1, os.cpu_count() or 1)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (127.0.0.0/8, ::1, localhost).

    >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback("localhost")
    (True, False, True)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(config: str | os.PathLike | None = None, **flags: Any) -> WebSettings:
    """The server's settings: ``data/web.yml``, then the admin's ``config`` file, then ``flags``.

    Flags that are None leave the value of the file. A non-loopback ``host`` without a token
    (flag, file or ``$HYGIS_WEB_TOKEN``) is refused: an intranet service is not left open.
    """
    defaults = template()
    settings = WebSettings(limits=dict(defaults["limits"]))
    given: dict[str, Any] = {}
    if config is not None:
        path = Path(config)
        try:
            with path.open(encoding="utf-8") as fh:
                given = yaml.safe_load(fh) or {}
        except (OSError, yaml.YAMLError) as exc:
            msg = f"{path}: cannot read the web server's config file ({exc})."
            raise HygisInputError(msg) from None
        if not isinstance(given, dict):
            msg = f"{path}: the config file must be a YAML mapping (key: value lines)."
            raise HygisInputError(msg)
        unknown = sorted(set(given) - set(CONFIG_KEYS) - {"limits", "metadata"})
        if unknown:
            msg = (
                f"{path}: unknown key(s) {', '.join(unknown)}; known: "
                f"{', '.join((*CONFIG_KEYS, 'limits', 'metadata'))}."
            )
            raise HygisInputError(msg)
        bad = sorted(set(given.get("limits") or {}) - set(defaults["limits"]))
        if bad:
            msg = f"{path}: unknown limit(s) {', '.join(bad)}; known: {', '.join(defaults['limits'])}."
            raise HygisInputError(msg)
        settings.limits.update(given.get("limits") or {})
        settings.metadata = dict(given.get("metadata") or {})
        base = path.resolve().parent
        for key in ("projects", *LINE_KEYS):
            if given.get(key):
                # Paths in the config file are relative to it, as a planner expects.
                given[key] = str(base / str(given[key]))
        if given.get("state_dir"):
            given["state_dir"] = base / str(given["state_dir"])
    merged = {
        **{k: v for k, v in given.items() if k in CONFIG_KEYS},
        **{k: v for k, v in flags.items() if v is not None},
    }
    for key in ("host", "port", "url", "token", "workers", "scheduler"):
        if merged.get(key) is not None:
            setattr(settings, key, merged[key])
    settings.port = int(settings.port)
    if merged.get("state_dir") is not None:
        settings.state_dir = Path(merged["state_dir"])
    settings.token = settings.token or os.environ.get(TOKEN_ENV) or None
    settings.inputs = {
        k: merged.get(k)
        for k in ("projects", *LINE_KEYS, "crs", "gcj02_input", "swap_xy", "project_id_field")
    }
    if not is_loopback(settings.host) and not settings.token:
        msg = (
            f"--host {settings.host} opens the server to other machines: give a token "
            f"(--token, or ${TOKEN_ENV}) that every client sends, or keep --host 127.0.0.1 "
            "behind the office's reverse proxy (see docs/deploy.md)."
        )
        raise HygisInputError(msg)
    return settings


def pygeoapi_config(
    settings: WebSettings, collections: dict[str, dict[str, Any]], processes: dict[str, str]
) -> dict[str, Any]:
    """pygeoapi's configuration: the template of ``data/web.yml`` with this server's URL,
    job manager, collections (from :func:`hygis.web.collections.write_collections`) and
    processes (id → processor class path)."""
    cfg = template()["pygeoapi"]
    cfg["server"]["bind"] = {"host": settings.host, "port": settings.port}
    cfg["server"]["url"] = settings.base_url
    cfg["server"]["manager"] = {
        "name": "TinyDB",
        "connection": str(settings.state_dir / "jobs.tinydb"),
        "output_dir": str(settings.state_dir / "job-results"),
    }
    for key, value in settings.metadata.items():
        section = cfg["metadata"].setdefault(key, {})
        if isinstance(section, dict) and isinstance(value, dict):
            section.update(value)
        else:
            cfg["metadata"][key] = value
    resources: dict[str, Any] = {}
    for name, spec in collections.items():
        resources[name] = {
            "type": "collection",
            "title": spec["title"],
            "description": spec["description"],
            "keywords": spec["keywords"],
            "links": [],
            "extents": {
                "spatial": {"bbox": spec["bbox"], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
            },
            "providers": [
                {
                    "type": "feature",
                    "name": "hygis.web.provider.GeoPackageProvider",
                    "data": spec["data"],
                    "table": spec["table"],
                    "id_field": "fid",
                    "title_field": spec.get("title_field", "name"),
                }
            ],
        }
    for name, processor in processes.items():
        resources[name] = {"type": "process", "processor": {"name": processor}}
    cfg["resources"] = resources
    return cfg


__all__ = [
    "CONFIG_KEYS",
    "LINE_KEYS",
    "TEMPLATE",
    "TOKEN_ENV",
    "WebSettings",
    "is_loopback",
    "load_settings",
    "pygeoapi_config",
    "template",
]
