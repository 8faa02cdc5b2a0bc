"""Offline maps: every JavaScript and CSS file a map uses, inlined into the HTML.

Folium links Leaflet, jQuery, Bootstrap and the marker/icon CSS from public CDNs, which a
planning office's intranet cannot reach. hygis takes their text from the PyPI package
``folium-offline`` (MIT, Sandia National Laboratories), which carries, byte for byte, the very
files folium 0.20 links — Leaflet's CSS with its images already as ``data:`` URIs — and
inlines them when the map is rendered. Nothing is downloaded at run time: the files come
with ``pip install hygis``; a map that would need a file hygis has no copy of is refused
with a message, never written half-offline.

Other modules (e.g. a renderer for big layers) add their own files with :func:`register`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from branca.element import Figure

from hygis.errors import HygisOutputError

_EXTRA: dict[str, str] = {}

_SCRIPT_LINK = re.compile(r'<script\s+src="(?P<url>https?://[^"]+)"\s*>\s*</script>', re.IGNORECASE)
_CSS_LINK = re.compile(r'<link\s+rel="stylesheet"\s+href="(?P<url>https?://[^"]+)"\s*/?>', re.IGNORECASE)
# Tile URL templates ({z}/{x}/{y}) are the one thing allowed to need the network.
_VERSION = re.compile(r"@\d+(\.\d+)*|/\d+\.\d+(\.\d+)*/")


def register(url: str, text: str) -> None:
    """Provide the text of an asset (JS or CSS) that maps link as ``url``, for offline output.

    Parameters
    ----------
    url : str
        The URL the folium element links (``default_js`` / ``default_css``).
    text : str
        The file's content, installed with the package (never fetched at run time).
    """
    _EXTRA[url] = text


@lru_cache(maxsize=1)
def _packaged() -> dict[str, str]:
    try:
        from offlinefolium import elements, features  # noqa: PLC0415 - 7 MB of module, load on demand
    except ImportError as exc:  # pragma: no cover - a dependency of hygis
        msg = "Offline maps need the package folium-offline (pip install folium-offline), or use --online."
        raise HygisOutputError(msg) from exc
    return {**elements._res, **getattr(features, "_vres", {})}


def _key(url: str) -> str:
    """A URL without its host and version, to find the same library under a newer folium's URL."""
    path = url.split("://", 1)[-1].split("/", 1)[-1]
    return _VERSION.sub("/", path).replace("//", "/")


def asset_text(url: str) -> str:
    """The local text of an asset linked as ``url``.

    Raises
    ------
    HygisOutputError
        If hygis has no local copy (the map would need the internet).
    """
    if url in _EXTRA:
        return _EXTRA[url]
    table = _packaged()
    if url in table:
        return table[url]
    wanted = _key(url)
    for known, text in table.items():
        if _key(known) == wanted:
            return text
    msg = (
        f"The map links {url}, and hygis has no local copy of it, so an offline map cannot be written. "
        "Write the map with --online (Python: offline=False), or register the file with "
        "hygis.maps.assets.register(url, text)."
    )
    raise HygisOutputError(msg)


def _script(text: str) -> str:
    # A literal "</script" inside inlined code would close the element early.
    return "<script>" + re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE) + "</script>"


def _style(text: str) -> str:
    return "<style>" + re.sub(r"</(style)", r"<\\/\1", text, flags=re.IGNORECASE) + "</style>"


def inline_assets(html: str) -> str:
    """Replace every remote ``<script src>`` and stylesheet ``<link>`` in ``html`` by its inlined text."""
    html = _SCRIPT_LINK.sub(lambda m: _script(asset_text(m.group("url"))), html)
    return _CSS_LINK.sub(lambda m: _style(asset_text(m.group("url"))), html)


class OfflineFigure(Figure):
    """A folium root element that renders with every JS/CSS asset inlined.

    ``m.save()``, ``m._repr_html_()`` (notebooks) and :func:`hygis.maps.save` all render
    through it, so a map made offline stays offline however it is written.
    """

    def render(self, **kwargs) -> str:
        return inline_assets(super().render(**kwargs))


def make_offline(m) -> None:
    """Re-root a folium map in an :class:`OfflineFigure` (in place)."""
    root = m.get_root()
    if isinstance(root, OfflineFigure):
        return
    figure = OfflineFigure(
        width=root.width, height=root.height, ratio=root.ratio, title=getattr(root, "title", None)
    )
    figure.add_child(m)


def is_offline(m) -> bool:
    """Whether the map renders with its assets inlined."""
    return isinstance(m.get_root(), OfflineFigure)


__all__ = ["register", "asset_text", "inline_assets", "OfflineFigure", "make_offline", "is_offline"]
