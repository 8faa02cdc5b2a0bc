/*
 * hygis big polygon layer for Leaflet 1.9 (L.GridLayer of canvas tiles).
 *
 * Draws 10^5-10^6 non-overlapping polygons (farmland patches) from a compact binary payload
 * written by hygis.maps.big. No network: this file is inlined into the map's HTML.
 *
 * Payload (base64 of a stream of unsigned LEB128 varints):
 *   rings per patch [nPatches], vertices per ring [nRings],
 *   then zigzag deltas x, y (interleaved) of every vertex, in quanta of `unit` Web Mercator
 *   metres from `origin`. Rings are open (no repeated closing vertex); exteriors turn
 *   counter-clockwise and holes clockwise, so the signed shoelace sum is the patch area.
 *
 * Level of detail, per tile and per patch, from its size in screen pixels:
 *   - smaller than `splatPx` (4): its area is spread over the pixels its bounding box overlaps
 *     (sub-pixel farmland keeps its true density instead of vanishing or turning solid);
 *   - larger: its rings are rasterized into the tile's coverage buffer by a signed-area
 *     accumulation rasterizer (exact anti-aliased coverage, holes cancel, shared edges leave
 *     no seam), skipping vertices closer than `simplifyPx` to the last one drawn; the coverage
 *     becomes the tile's pixels in one putImageData. This is several times cheaper than Canvas
 *     path calls for 10^5 small polygons;
 *   - outlines (Canvas strokes) only for patches larger than `strokeMinPx` (12).
 * A uniform grid over the layer's extent indexes the patch bounding boxes; tiles and the
 * mouse hit-test query it. Attribute values are shown with textContent, never as HTML.
 */
(function (L) {
  'use strict';
  if (!L || L.HygisBigPolygons) { return; }

  var R = 6378137;
  var HALF = 0.5 / (Math.PI * R);

  function base64Bytes(text) {
    if (typeof Uint8Array.fromBase64 === 'function') { return Uint8Array.fromBase64(text); }
    var bin = atob(text), n = bin.length, out = new Uint8Array(n);
    for (var i = 0; i < n; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }

  // Decode the varint stream into typed arrays (absolute integer coordinates).
  function decode(bytes, nPatches, nRings, nVerts) {
    var p = 0, i, v, b, shift;
    var patchRing = new Uint32Array(nPatches + 1);
    for (i = 0; i < nPatches; i++) {
      v = 0; shift = 0;
      do { b = bytes[p++]; v += (b & 127) * Math.pow(2, shift); shift += 7; } while (b & 128);
      patchRing[i + 1] = patchRing[i] + v;
    }
    var ringVert = new Uint32Array(nRings + 1);
    for (i = 0; i < nRings; i++) {
      v = 0; shift = 0;
      do { b = bytes[p++]; v += (b & 127) * Math.pow(2, shift); shift += 7; } while (b & 128);
      ringVert[i + 1] = ringVert[i] + v;
    }
    var xy = new Int32Array(2 * nVerts);
    var x = 0, y = 0, n2 = 2 * nVerts;
    for (i = 0; i < n2; i++) {
      // Deltas fit in 31 bits (hygis coarsens the quantum otherwise): 32-bit ops are safe.
      v = 0; shift = 0;
      do { b = bytes[p++]; v |= (b & 127) << shift; shift += 7; } while (b & 128);
      v = (v >>> 1) ^ -(v & 1);
      if (i & 1) { y += v; xy[i] = y; } else { x += v; xy[i] = x; }
    }
    if (p !== bytes.length) { throw new Error('hygis big layer: payload length mismatch'); }
    return { patchRing: patchRing, ringVert: ringVert, xy: xy };
  }

  // Bounding boxes (quanta) and areas (quanta^2) per patch.
  function measure(g, nPatches) {
    var bbox = new Int32Array(4 * nPatches), area = new Float64Array(nPatches);
    var pr = g.patchRing, rv = g.ringVert, xy = g.xy;
    for (var i = 0; i < nPatches; i++) {
      var x0 = 2147483647, y0 = 2147483647, x1 = -2147483648, y1 = -2147483648, a = 0;
      for (var r = pr[i]; r < pr[i + 1]; r++) {
        var s = rv[r], e = rv[r + 1];
        // Shoelace relative to the ring's first vertex: products stay far below 2^53.
        var rx = xy[2 * s], ry = xy[2 * s + 1];
        var px = xy[2 * (e - 1)] - rx, py = xy[2 * (e - 1) + 1] - ry;
        for (var k = s; k < e; k++) {
          var x = xy[2 * k], y = xy[2 * k + 1];
          if (x < x0) { x0 = x; } if (x > x1) { x1 = x; }
          if (y < y0) { y0 = y; } if (y > y1) { y1 = y; }
          x -= rx; y -= ry;
          a += px * y - x * py;
          px = x; py = y;
        }
      }
      bbox[4 * i] = x0; bbox[4 * i + 1] = y0; bbox[4 * i + 2] = x1; bbox[4 * i + 3] = y1;
      area[i] = a > 0 ? a / 2 : 0;
    }
    return { bbox: bbox, area: area };
  }

  // A uniform grid of cells over the extent; each patch is listed in every cell its bbox overlaps.
  function GridIndex(bbox, n, extent) {
    var w = Math.max(extent[2] - extent[0], 1), h = Math.max(extent[3] - extent[1], 1);
    var cells = Math.max(1, Math.min(1 << 20, Math.ceil(n / 4)));
    var cs = Math.max(1, Math.ceil(Math.sqrt(w * h / cells)));
    var gx = Math.ceil((w + 1) / cs), gy = Math.ceil((h + 1) / cs);
    var counts = new Uint32Array(gx * gy + 1), i, cx, cy;
    var ox = extent[0], oy = extent[1];
    for (i = 0; i < n; i++) {
      var ax = ((bbox[4 * i] - ox) / cs) | 0, bx = ((bbox[4 * i + 2] - ox) / cs) | 0;
      var ay = ((bbox[4 * i + 1] - oy) / cs) | 0, by = ((bbox[4 * i + 3] - oy) / cs) | 0;
      for (cy = ay; cy <= by; cy++) { for (cx = ax; cx <= bx; cx++) { counts[cy * gx + cx + 1]++; } }
    }
    for (i = 1; i <= gx * gy; i++) { counts[i] += counts[i - 1]; }
    var items = new Uint32Array(counts[gx * gy]), fill = counts.slice(0, gx * gy);
    for (i = 0; i < n; i++) {
      var ax2 = ((bbox[4 * i] - ox) / cs) | 0, bx2 = ((bbox[4 * i + 2] - ox) / cs) | 0;
      var ay2 = ((bbox[4 * i + 1] - oy) / cs) | 0, by2 = ((bbox[4 * i + 3] - oy) / cs) | 0;
      for (cy = ay2; cy <= by2; cy++) { for (cx = ax2; cx <= bx2; cx++) { items[fill[cy * gx + cx]++] = i; } }
    }
    this.start = counts; this.items = items; this.cs = cs; this.gx = gx; this.gy = gy;
    this.ox = ox; this.oy = oy; this.bbox = bbox;
    this.stamp = new Uint32Array(n); this.epoch = 0; this.out = new Uint32Array(Math.min(n, 65536));
  }

  // Patches whose bbox intersects [x0, x1] x [y0, y1] (quanta); returns the count, ids in this.out.
  GridIndex.prototype.query = function (x0, y0, x1, y1) {
    var cs = this.cs, gx = this.gx, gy = this.gy, bb = this.bbox;
    var ax = Math.max(0, Math.floor((x0 - this.ox) / cs)), bx = Math.min(gx - 1, Math.floor((x1 - this.ox) / cs));
    var ay = Math.max(0, Math.floor((y0 - this.oy) / cs)), by = Math.min(gy - 1, Math.floor((y1 - this.oy) / cs));
    var n = 0, out = this.out, stamp = this.stamp, start = this.start, items = this.items;
    if (ax > bx || ay > by) { return 0; }
    this.epoch = (this.epoch + 1) >>> 0;
    if (this.epoch === 0) { stamp.fill(0); this.epoch = 1; }
    var ep = this.epoch;
    for (var cy = ay; cy <= by; cy++) {
      for (var c = cy * gx + ax, ce = cy * gx + bx; c <= ce; c++) {
        for (var k = start[c], ke = start[c + 1]; k < ke; k++) {
          var i = items[k];
          if (stamp[i] === ep) { continue; }
          stamp[i] = ep;
          if (bb[4 * i] > x1 || bb[4 * i + 2] < x0 || bb[4 * i + 1] > y1 || bb[4 * i + 3] < y0) { continue; }
          if (n === out.length) { var grown = new Uint32Array(out.length * 2); grown.set(out); out = this.out = grown; }
          out[n++] = i;
        }
      }
    }
    return n;
  };

  // Signed-area accumulation rasterizer (the method of font-rs and stb_truetype 2): each edge
  // adds, along the pixel rows it crosses, the change of covered area; a running sum along a
  // row then gives every pixel's exact anti-aliased coverage. Rings are oriented (holes against
  // exteriors), so holes cancel and neighbouring patches' shared edges leave no seam. A few
  // typed-array writes per edge: far cheaper than Canvas path calls for 10^5 small polygons.
  function Raster(W, H) {
    this.W = W; this.H = H; this.S = W + 2;
    this.acc = new Float32Array(this.S * H);
    this.cov = new Float32Array(W * H);  // direct coverage of sub-pixel patches
  }
  Raster.prototype.clear = function () { this.acc.fill(0); this.cov.fill(0); };

  // An edge in tile pixels; the part left of the tile acts as if on its left border (it
  // covers every pixel of the row to its right), the part right of the tile touches nothing.
  Raster.prototype.line = function (x0, y0, x1, y1) {
    if (y0 === y1) { return; }
    var W = this.W;
    if (x0 >= W && x1 >= W) { return; }
    if (x0 <= 0 && x1 <= 0) { this._raw(0, y0, 0, y1); return; }
    if (x0 >= 0 && x1 >= 0 && x0 <= W && x1 <= W) { this._raw(x0, y0, x1, y1); return; }
    var dx = x1 - x0, dy = y1 - y0, ta = 0, tb = 1, cut = [];
    if ((x0 < 0) !== (x1 < 0)) { cut.push(-x0 / dx); }
    if ((x0 > W) !== (x1 > W)) { cut.push((W - x0) / dx); }
    cut.sort(function (a, b) { return a - b; });
    cut.push(1);
    for (var c = 0; c < cut.length; c++) {
      tb = cut[c];
      var xm = x0 + dx * (ta + tb) / 2, ya = y0 + dy * ta, yb = y0 + dy * tb;
      if (xm <= 0) { this._raw(0, ya, 0, yb); }
      else if (xm < W) {
        var xa = Math.min(W, Math.max(0, x0 + dx * ta)), xb = Math.min(W, Math.max(0, x0 + dx * tb));
        this._raw(xa, ya, xb, yb);
      }
      ta = tb;
    }
  };

  Raster.prototype._raw = function (ax, ay, bx, by) {
    var dir = 1, tmp;
    if (ay === by) { return; }
    if (ay > by) { dir = -1; tmp = ax; ax = bx; bx = tmp; tmp = ay; ay = by; by = tmp; }
    var H = this.H, S = this.S, a = this.acc;
    if (by <= 0 || ay >= H) { return; }
    var dxdy = (bx - ax) / (by - ay), x = ax;
    if (ay < 0) { x -= ay * dxdy; }
    var yEnd = Math.min(H, Math.ceil(by));
    for (var y = Math.max(0, Math.floor(ay)); y < yEnd; y++) {
      var ls = y * S;
      var dy = Math.min(y + 1, by) - Math.max(y, ay);
      var xn = x + dxdy * dy, d = dy * dir;
      var lo = x < xn ? x : xn, hi = x < xn ? xn : x;
      var lof = Math.floor(lo), hic = Math.ceil(hi);
      if (hic <= lof + 1) {
        var xmf = 0.5 * (x + xn) - lof;
        a[ls + lof] += d - d * xmf;
        a[ls + lof + 1] += d * xmf;
      } else {
        var s = 1 / (hi - lo), lofr = lo - lof;
        var a0 = 0.5 * s * (1 - lofr) * (1 - lofr);
        var hifr = hi - hic + 1;
        var am = 0.5 * s * hifr * hifr;
        a[ls + lof] += d * a0;
        if (hic === lof + 2) {
          a[ls + lof + 1] += d * (1 - a0 - am);
        } else {
          var a1 = s * (1.5 - lofr);
          a[ls + lof + 1] += d * (a1 - a0);
          for (var xi = lof + 2; xi < hic - 1; xi++) { a[ls + xi] += d * s; }
          var a2 = a1 + (hic - lof - 3) * s;
          a[ls + hic - 1] += d * (1 - a2 - am);
        }
        a[ls + hic] += d * am;
      }
      x = xn;
    }
  };

  function parseColor(css) {
    var c = document.createElement('canvas'); c.width = c.height = 1;
    var ctx = c.getContext('2d');
    ctx.fillStyle = '#000'; ctx.fillStyle = css; ctx.fillRect(0, 0, 1, 1);
    var d = ctx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2]];
  }

  L.HygisBigPolygons = L.GridLayer.extend({
    options: {
      // Its own pane between the basemap (200) and vector overlays (400): dense fills go under
      // boundaries, lines and points drawn on the same map.
      pane: 'hygisBigPolygons', paneZIndex: 350,
      updateWhenZooming: false,
      keepBuffer: 2,
      color: '#3388ff', weight: 1, opacity: 1, fillColor: null, fillOpacity: 0.5,
      stroke: true, fill: true,
      splatPx: 4, strokeMinPx: 12, simplifyPx: 0.5, hitTolerancePx: 3, coverageGamma: 0.6,
      name: ''
    },

    initialize: function (payload, meta, attributes, options) {
      var t0 = performance.now();
      L.setOptions(this, options);
      if (!this.options.fillColor) { this.options.fillColor = this.options.color; }
      var n = meta.n_patches;
      this._meta = meta;
      this._n = n;
      this._g = decode(base64Bytes(payload), n, meta.n_rings, meta.n_vertices);
      var t1 = performance.now();
      var m = measure(this._g, n);
      this._bbox = m.bbox; this._area = m.area;
      this._index = new GridIndex(m.bbox, n, meta.extent);
      // Attributes: an array of columns, or the id of a JSON data block parsed when first needed.
      this._attributes = Array.isArray(attributes) ? attributes : null;
      this._attributesId = typeof attributes === 'string' ? attributes : null;
      this._fillRGB = parseColor(this.options.fillColor);
      this.timings = { decode_ms: t1 - t0, index_ms: performance.now() - t1 };
      // Leaflet creates no tile outside the data's extent.
      var sw = L.Projection.SphericalMercator.unproject(L.point(meta.origin[0] + meta.extent[0] * meta.unit, meta.origin[1] + meta.extent[1] * meta.unit));
      var ne = L.Projection.SphericalMercator.unproject(L.point(meta.origin[0] + meta.extent[2] * meta.unit, meta.origin[1] + meta.extent[3] * meta.unit));
      this.options.bounds = L.latLngBounds(sw, ne).pad(0.01);
      this.once('load', function () {
        var self = this;
        requestAnimationFrame(function () { self.timings.first_draw_ms = performance.now(); });
        // Parse the attribute table once the first frame is out, before anyone hovers.
        setTimeout(function () { self._columns(); }, 50);
      }, this);
    },

    getBounds: function () { return this.options.bounds; },

    _columns: function () {
      if (!this._attributes && this._attributesId) {
        var t0 = performance.now(), el = document.getElementById(this._attributesId);
        this._attributes = el ? JSON.parse(el.textContent) : [];
        this.timings.attributes_ms = performance.now() - t0;
      }
      return this._attributes || [];
    },

    isInteractive: function () { return !!(this._attributesId || (this._attributes && this._attributes.length)); },

    onAdd: function (map) {
      if (!map.getPane(this.options.pane)) { map.createPane(this.options.pane).style.zIndex = this.options.paneZIndex; }
      if (!map.getPane('hygisBigHighlight')) { map.createPane('hygisBigHighlight').style.zIndex = 450; }
      L.GridLayer.prototype.onAdd.call(this, map);
      (map._hygisBigStack || (map._hygisBigStack = [])).push(this);
      if (this.isInteractive()) {
        map.on('mousemove', this._onMouseMove, this);
        map.on('click', this._onClick, this);
        map.on('mouseout', this._clearHover, this);
      }
    },

    onRemove: function (map) {
      map.off('mousemove', this._onMouseMove, this);
      map.off('click', this._onClick, this);
      map.off('mouseout', this._clearHover, this);
      this._clearHover();
      var stack = map._hygisBigStack || [], at = stack.indexOf(this);
      if (at >= 0) { stack.splice(at, 1); }
      L.GridLayer.prototype.onRemove.call(this, map);
    },

    // Pixels per quantum at zoom z, and the quantum -> tile pixel offsets.
    _transform: function (coords, size) {
      var scale = this._map.options.crs.scale(coords.z), u = this._meta.unit, o = this._meta.origin;
      var k = scale * HALF * u;
      return {
        k: k,
        bx: scale * (HALF * o[0] + 0.5) - coords.x * size.x,
        by: scale * (-HALF * o[1] + 0.5) - coords.y * size.y
      };
    },

    createTile: function (coords) {
      var size = this.getTileSize();
      var dpr = window.devicePixelRatio || 1;
      var tile = document.createElement('canvas');
      tile.width = Math.round(size.x * dpr); tile.height = Math.round(size.y * dpr);
      tile.style.width = size.x + 'px'; tile.style.height = size.y + 'px';
      this._drawTile(tile, coords, size, dpr);
      return tile;
    },

    _drawTile: function (tile, coords, size, dpr) {
      var o = this.options, t = this._transform(coords, size);
      // Work in device pixels so coverage and simplification follow the real raster.
      var k = t.k * dpr, bx = t.bx * dpr, by = t.by * dpr, W = tile.width, H = tile.height;
      var pad = (o.stroke ? o.weight : 0) * dpr + 1;
      var idx = this._index;
      var n = idx.query((-pad - bx) / k, (by - H - pad) / k, (W + pad - bx) / k, (by + pad) / k);
      if (!n) { return; }
      var ids = idx.out, bb = this._bbox, area = this._area, g = this._g;
      var pr = g.patchRing, rv = g.ringVert, xy = g.xy;
      var splat = o.splatPx * dpr, strokeMin = o.strokeMinPx * dpr, simp = o.simplifyPx * dpr;
      var ras = this._raster(W, H), cov = ras.cov;
      var strokePath = null, nStroke = 0, nRaster = 0, nSplats = 0;
      var wantStroke = o.stroke && o.weight > 0 && o.opacity > 0;
      for (var j = 0; j < n; j++) {
        var i = ids[j];
        var x0 = k * bb[4 * i] + bx, x1 = k * bb[4 * i + 2] + bx;
        var y0 = by - k * bb[4 * i + 3], y1 = by - k * bb[4 * i + 1];
        if (x1 < -pad || x0 > W + pad || y1 < -pad || y0 > H + pad) { continue; }
        var w = x1 - x0, h = y1 - y0;
        if (w < splat && h < splat) {
          // Too small to show a shape: spread its area over the pixels its bbox overlaps.
          if (!o.fill) { continue; }
          nSplats++;
          var apx = area[i] * k * k, bba = w * h;
          if (bba < 1e-9) {
            var cx = Math.floor(x0), cy = Math.floor(y0);
            if (cx >= 0 && cx < W && cy >= 0 && cy < H) { cov[cy * W + cx] += apx; }
            continue;
          }
          var dens = apx / bba;
          var ix0 = Math.max(0, Math.floor(x0)), ix1 = Math.min(W - 1, Math.floor(x1));
          var iy0 = Math.max(0, Math.floor(y0)), iy1 = Math.min(H - 1, Math.floor(y1));
          for (var iy = iy0; iy <= iy1; iy++) {
            var oy = Math.min(y1, iy + 1) - Math.max(y0, iy);
            if (oy <= 0) { continue; }
            for (var ix = ix0; ix <= ix1; ix++) {
              var ox = Math.min(x1, ix + 1) - Math.max(x0, ix);
              if (ox > 0) { cov[iy * W + ix] += ox * oy * dens; }
            }
          }
          continue;
        }
        var outline = wantStroke && (w >= strokeMin || h >= strokeMin);
        if (outline) {
          if (!strokePath) { strokePath = new Path2D(); }
          nStroke++;
        }
        nRaster++;
        for (var r = pr[i]; r < pr[i + 1]; r++) {
          var s = rv[r], e = rv[r + 1];
          var fx = k * xy[2 * s] + bx, fy = by - k * xy[2 * s + 1], lx = fx, ly = fy;
          if (outline) { strokePath.moveTo(fx, fy); }
          for (var v = s + 1; v < e; v++) {
            var px = k * xy[2 * v] + bx, py = by - k * xy[2 * v + 1];
            if (Math.abs(px - lx) + Math.abs(py - ly) < simp) { continue; }
            if (o.fill) { ras.line(lx, ly, px, py); }
            if (outline) { strokePath.lineTo(px, py); }
            lx = px; ly = py;
          }
          if (o.fill) { ras.line(lx, ly, fx, fy); }
          if (outline) { strokePath.closePath(); }
        }
      }
      var ctx = tile.getContext('2d');
      if (o.fill && (nRaster || nSplats)) { this._paintCoverage(ctx, ras, W, H); }
      if (strokePath) {
        ctx.globalAlpha = o.opacity; ctx.strokeStyle = o.color; ctx.lineWidth = o.weight * dpr;
        ctx.lineJoin = 'round';
        ctx.stroke(strokePath);
      }
      tile._hygisStats = { candidates: n, rasterized: nRaster, splats: nSplats, outlined: nStroke };
    },

    _raster: function (W, H) {
      if (!this._ras || this._ras.W !== W || this._ras.H !== H) { this._ras = new Raster(W, H); }
      else { this._ras.clear(); }
      return this._ras;
    },

    // Coverage (fraction of each pixel covered by patches) to RGBA through a 256-entry table
    // (one 32-bit write per pixel into a reused ImageData), then onto the tile.
    _paintCoverage: function (ctx, ras, W, H) {
      if (!this._img || this._img.width !== W || this._img.height !== H) {
        this._img = ctx.createImageData(W, H);
        this._px = new Uint32Array(this._img.data.buffer);
      }
      if (!this._lut) {
        var rgb = this._fillRGB, alpha = this.options.fillOpacity, little = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
        this._lut = new Uint32Array(256);
        for (var v = 1; v < 256; v++) {
          // Coverage to opacity through a gamma < 1: partly covered pixels (sub-pixel patches
          // at low zoom, anti-aliased edges) stay visible; full coverage keeps fillOpacity.
          var a = Math.round(255 * alpha * Math.pow(v / 255, this.options.coverageGamma));
          this._lut[v] = little ? ((a << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]) >>> 0
                                : ((rgb[0] << 24) | (rgb[1] << 16) | (rgb[2] << 8) | a) >>> 0;
        }
      }
      var px = this._px, lut = this._lut, acc = ras.acc, cov = ras.cov, S = ras.S;
      for (var y = 0; y < H; y++) {
        var run = 0, ls = y * S, lo = y * W;
        for (var x = 0; x < W; x++) {
          run += acc[ls + x];
          var c = (run < 0 ? -run : run) + cov[lo + x];
          px[lo + x] = lut[c >= 1 ? 255 : (c * 255 + 0.5) | 0];
        }
      }
      ctx.putImageData(this._img, 0, 0);
    },

    // ---- hit-testing and tooltips -------------------------------------------------
    _toQuanta: function (latlng) {
      var p = L.Projection.SphericalMercator.project(latlng), m = this._meta;
      return [(p.x - m.origin[0]) / m.unit, (p.y - m.origin[1]) / m.unit];
    },

    _inside: function (i, qx, qy) {
      var g = this._g, inside = false;
      for (var r = g.patchRing[i]; r < g.patchRing[i + 1]; r++) {
        var s = g.ringVert[r], e = g.ringVert[r + 1], xy = g.xy;
        for (var a = s, b = e - 1; a < e; b = a++) {
          var ya = xy[2 * a + 1], yb = xy[2 * b + 1];
          if ((ya > qy) !== (yb > qy)) {
            var xa = xy[2 * a], xb = xy[2 * b];
            if (qx < (xb - xa) * (qy - ya) / (yb - ya) + xa) { inside = !inside; }
          }
        }
      }
      return inside;
    },

    /** Index of the patch under latlng (or a tiny patch within the hit tolerance), else -1. */
    hitTest: function (latlng) {
      if (!this._map) { return -1; }
      var q = this._toQuanta(latlng), qx = q[0], qy = q[1];
      var k = this._map.options.crs.scale(this._map.getZoom()) * HALF * this._meta.unit;
      var tol = this.options.hitTolerancePx / k;
      var n = this._index.query(qx - tol, qy - tol, qx + tol, qy + tol);
      var ids = this._index.out, bb = this._bbox, best = -1, bestD = Infinity, splatQ = this.options.splatPx / k;
      for (var j = 0; j < n; j++) {
        var i = ids[j];
        if (qx >= bb[4 * i] && qx <= bb[4 * i + 2] && qy >= bb[4 * i + 1] && qy <= bb[4 * i + 3] && this._inside(i, qx, qy)) {
          return i;
        }
        // Sub-pixel patches are hard to point at: take the nearest within the tolerance.
        if (bb[4 * i + 2] - bb[4 * i] < splatQ && bb[4 * i + 3] - bb[4 * i + 1] < splatQ) {
          var dx = Math.max(bb[4 * i] - qx, 0, qx - bb[4 * i + 2]), dy = Math.max(bb[4 * i + 1] - qy, 0, qy - bb[4 * i + 3]);
          var d = dx * dx + dy * dy;
          if (d < bestD) { bestD = d; best = i; }
        }
      }
      return best;
    },

    /** Attribute values of patch i as [[field, text], ...]. */
    attributesOf: function (i) {
      var out = [], columns = this._columns();
      for (var f = 0; f < columns.length; f++) {
        var col = columns[f];
        out.push([col.name, col.codes ? col.dict[col.codes[i]] : col.values[i]]);
      }
      return out;
    },

    /** Rings of patch i as arrays of L.LatLng. */
    latLngsOf: function (i) {
      var g = this._g, m = this._meta, rings = [];
      for (var r = g.patchRing[i]; r < g.patchRing[i + 1]; r++) {
        var ring = [];
        for (var v = g.ringVert[r]; v < g.ringVert[r + 1]; v++) {
          ring.push(L.Projection.SphericalMercator.unproject(L.point(m.origin[0] + g.xy[2 * v] * m.unit, m.origin[1] + g.xy[2 * v + 1] * m.unit)));
        }
        rings.push(ring);
      }
      return rings;
    },

    // Values are data: every text goes in with textContent, never innerHTML.
    _content: function (i, withTitle) {
      var box = L.DomUtil.create('div', 'hygis-big-info');
      if (withTitle && this.options.name) {
        var title = L.DomUtil.create('div', 'hygis-big-title', box);
        title.textContent = this.options.name;
        title.style.fontWeight = 'bold';
      }
      var table = L.DomUtil.create('table', '', box), rows = this.attributesOf(i);
      for (var r = 0; r < rows.length; r++) {
        var tr = L.DomUtil.create('tr', '', table);
        var th = L.DomUtil.create('th', '', tr), td = L.DomUtil.create('td', '', tr);
        th.textContent = rows[r][0]; td.textContent = rows[r][1];
        th.style.textAlign = 'left'; th.style.paddingRight = '6px';
      }
      return box;
    },

    // Another interactive big layer drawn above this one (higher pane, or added later in the
    // same pane) has a patch under the mouse: that one answers, so only one tooltip shows.
    _coveredAbove: function (latlng) {
      var stack = this._map._hygisBigStack || [], mine = stack.indexOf(this), z = this.options.paneZIndex;
      for (var j = 0; j < stack.length; j++) {
        var other = stack[j], oz = other.options.paneZIndex;
        if (other === this || !other.isInteractive() || oz < z || (oz === z && j < mine)) { continue; }
        if (other.hitTest(latlng) >= 0) { return true; }
      }
      return false;
    },

    _onMouseMove: function (e) {
      var i = this.hitTest(e.latlng), map = this._map;
      if (i < 0 || this._coveredAbove(e.latlng)) { this._clearHover(); return; }
      if (!this._tooltip) {
        this._tooltip = L.tooltip({ direction: 'top', offset: [0, -6], className: 'hygis-big-tooltip' });
      }
      if (i !== this._hover) {
        this._hover = i;
        this._tooltip.setContent(this._content(i, false));
        if (this._highlight) { map.removeLayer(this._highlight); }
        this._highlight = L.polygon(this.latLngsOf(i), {
          pane: 'hygisBigHighlight', interactive: false, color: this.options.color, weight: 3, fill: false
        }).addTo(map);
      }
      this._tooltip.setLatLng(e.latlng);
      if (!map.hasLayer(this._tooltip)) { map.openTooltip(this._tooltip); }
      map.getContainer().style.cursor = 'pointer';
    },

    _clearHover: function () {
      var map = this._map;
      this._hover = -1;
      if (!map) { return; }
      if (this._tooltip && map.hasLayer(this._tooltip)) { map.closeTooltip(this._tooltip); }
      if (this._highlight) { map.removeLayer(this._highlight); this._highlight = null; }
      map.getContainer().style.cursor = '';
    },

    _onClick: function (e) {
      var i = this.hitTest(e.latlng);
      if (i < 0 || this._coveredAbove(e.latlng)) { return; }
      L.popup({ maxWidth: 360 }).setLatLng(e.latlng).setContent(this._content(i, true)).openOn(this._map);
    }
  });

  L.hygisBigPolygons = function (payload, meta, attributes, options) {
    return new L.HygisBigPolygons(payload, meta, attributes, options);
  };
}(window.L));
