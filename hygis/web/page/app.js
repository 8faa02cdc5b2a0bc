// hygis web: the page. It only calls the server's OGC API (POST /processes/check/execution) and
// shows what comes back; every figure is hygis's. User text is set with textContent, never as HTML.
"use strict";

const LINES = ["ecological_redline", "permanent_farmland", "urban_development_boundary"];
const $ = (id) => document.getElementById(id);
let chosen = null; // {name, base64}

function say(text, isError) {
  const s = $("status");
  s.textContent = text;
  s.className = isError ? "status error" : "status";
}

function showBanner(text) {
  const b = $("banner");
  if (text) {
    b.textContent = "⚠ " + text;
    b.hidden = false;
  }
}

// Before any check: say whether the control lines served are the office's or illustrative ones.
async function lineStatus() {
  try {
    const r = await fetch("/collections?f=json", { headers: { Accept: "application/json" } });
    if (!r.ok) return;
    const d = await r.json();
    const shown = d.collections.filter((c) => LINES.includes(c.id) && (c.keywords || []).includes("status:illustrative"));
    if (shown.length) {
      showBanner("示意数据：" + shown.map((c) => c.title).join("、") + " 不是官方成果，审查结论仅供演示，不能作为审批依据。");
    }
  } catch (e) {
    /* the banner of the result says it again */
  }
}

function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

async function choose(file) {
  if (!file) return;
  $("filename").textContent = file.name + "（" + (file.size / 1024).toFixed(1) + " KB）";
  chosen = { name: file.name, base64: await readFile(file) };
  say("已选择文件，点击“开始审查”。");
}

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function num(v, digits) {
  return v === null || v === undefined || Number.isNaN(v) ? "" : Number(v).toFixed(digits);
}

function head(table, names) {
  const thead = table.querySelector("thead");
  thead.textContent = "";
  const tr = document.createElement("tr");
  for (const n of names) {
    const th = document.createElement("th");
    th.textContent = n;
    tr.appendChild(th);
  }
  thead.appendChild(tr);
  table.querySelector("tbody").textContent = "";
  return table.querySelector("tbody");
}

function showResult(d) {
  showBanner(d.banner);
  $("results").hidden = false;
  const labels = d.verdict_labels || {};
  const summary = $("summary");
  summary.textContent = "";
  const p = document.createElement("span");
  p.textContent = "项目 " + d.projects + " 个：";
  summary.appendChild(p);
  for (const [v, n] of Object.entries(d.verdicts)) {
    const chip = document.createElement("span");
    chip.className = "chip";
    chip.style.background = (labels[v] || {}).color || "#555";
    chip.textContent = ((labels[v] || {}).label || v) + "：" + n + " 项";
    summary.appendChild(chip);
  }
  $("area-method").textContent = "面积：" + (d.area_method || "") + "；计算坐标系：" + (d.area_crs || "");

  const map = d.links.find((l) => l.name === "map.html");
  $("map").src = map ? new URL(map.href, location.href).pathname : "about:blank";

  const body = head($("verdicts"), ["项目编号", "项目名称", "控制线", "用地（公顷）", "占用（公顷）*", "占用（亩）*", "占比*", "结论", "审查依据"]);
  for (const r of d.rows) {
    const tr = document.createElement("tr");
    cell(tr, r.project_id);
    cell(tr, r.name);
    cell(tr, r.control_line_zh);
    cell(tr, num(r.site_ha, 4), "num");
    // The urban development boundary judges the part of the site outside it (as the reports do).
    const udb = r.control_line === "urban_development_boundary";
    const ha = udb ? r.outside_ha : r.overlap_ha;
    cell(tr, num(ha, 4), "num");
    cell(tr, num(udb ? r.outside_mu : r.overlap_mu, 2), "num");
    cell(tr, r.site_ha && ha !== null ? ((100 * ha) / r.site_ha).toFixed(1) + "%" : "", "num");
    const v = cell(tr, (labels[r.verdict] || {}).label || r.verdict, "verdict");
    v.style.background = (labels[r.verdict] || {}).color || "#555";
    const rule = cell(tr, r.rule, "rule");
    const src = document.createElement("small");
    src.textContent = r.source || "";
    rule.appendChild(src);
    body.appendChild(tr);
  }

  const pre = head($("preaudit"), ["项目编号", "项目名称", "控制线", "县级行政区", "占用（公顷）", "占用（亩）", "图斑数", "水田（公顷）", "水浇地（公顷）", "旱地（公顷）", "平均质量等别"]);
  if (!d.by_county.length) {
    const tr = document.createElement("tr");
    const td = cell(tr, "无项目占用生态保护红线或永久基本农田。");
    td.colSpan = 11;
    pre.appendChild(tr);
  }
  for (const r of d.by_county) {
    const tr = document.createElement("tr");
    cell(tr, r.project_id);
    cell(tr, r.name);
    cell(tr, r.control_line_zh);
    cell(tr, r.county_name);
    cell(tr, num(r.overlap_ha, 4), "num");
    cell(tr, num(r.overlap_mu, 2), "num");
    cell(tr, r.overlap_patches, "num");
    cell(tr, num(r.overlap_paddy_ha, 4), "num");
    cell(tr, num(r.overlap_irrigated_ha, 4), "num");
    cell(tr, num(r.overlap_dry_ha, 4), "num");
    cell(tr, num(r.overlap_grade_mean, 1), "num");
    pre.appendChild(tr);
  }

  const list = $("downloads");
  list.textContent = "";
  for (const l of d.links) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = new URL(l.href, location.href).pathname;
    a.textContent = l.title + "（" + l.name + "）";
    if (l.type !== "text/html") a.setAttribute("download", l.name);
    else a.target = "_blank";
    li.appendChild(a);
    list.appendChild(li);
  }
  const w = $("warnings");
  w.textContent = "";
  for (const text of d.warnings) {
    const li = document.createElement("li");
    li.textContent = text;
    w.appendChild(li);
  }
}

async function run() {
  const inputs = {};
  const pasted = $("coordinates").value.trim();
  if (chosen) {
    inputs.file = { value: chosen.base64, encoding: "base64", filename: chosen.name };
  } else if (pasted) {
    inputs.coordinates = pasted;
  } else {
    say("请先选择文件，或粘贴坐标。", true);
    return;
  }
  if ($("crs").value.trim()) inputs.crs = $("crs").value.trim();
  if ($("radius").value) inputs.point_radius_m = Number($("radius").value);
  $("run").disabled = true;
  say("正在审查…");
  const t0 = performance.now();
  try {
    const r = await fetch("/processes/check/execution", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ inputs }),
    });
    const d = await r.json().catch(() => ({}));
    if (!r.ok) {
      const why = (d.description || r.statusText || "").replace(/^Error executing process: /, "");
      say("未能审查：" + why, true);
      return;
    }
    showResult(d);
    say("审查完成（" + ((performance.now() - t0) / 1000).toFixed(1) + " 秒）。");
  } catch (e) {
    say("服务器无响应：" + e, true);
  } finally {
    $("run").disabled = false;
  }
}

const drop = $("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  choose(e.dataTransfer.files[0]);
});
$("file").addEventListener("change", (e) => choose(e.target.files[0]));
$("coordinates").addEventListener("input", () => {
  if ($("coordinates").value.trim()) {
    chosen = null;
    $("filename").textContent = "";
  }
});
$("run").addEventListener("click", run);
lineStatus();
