// Inline SVG line chart for a daily series `[{date, spend_cents, leads, cpl_cents}]`.
// Hand-written: spend (left axis, money per day) and leads (right axis, count); CPL, when present,
// is drawn dashed on an axis of its own (outer right, money per lead) — on the spend axis it was
// squashed flat and read as spend. Every axis is titled with its unit. Built with DOM calls only
// — no markup strings — so data can never inject anything.

import { LANG, t } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const M = { top: 30, right: 40, bottom: 34, left: 54 };
const CPL_AXIS = 52; // extra right margin for the CPL axis

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A round upper bound for an axis and its step (1-2-5 steps, four intervals). */
export function niceScale(max, intervals = 4) {
  if (!(max > 0)) return { max: intervals, step: 1 };
  const raw = max / intervals;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * power).find((s) => s >= raw);
  return { max: step * intervals, step };
}

function number(value, opts = {}) {
  return new Intl.NumberFormat(LANG, opts).format(value);
}

function money(cents, currency, compact = false) {
  const opts = compact ? { notation: "compact", maximumFractionDigits: 1 } : { maximumFractionDigits: 2 };
  if (currency) {
    try {
      return number(cents / 100, { style: "currency", currency, ...opts });
    } catch {
      /* unknown currency code: plain number */
    }
  }
  return number(cents / 100, opts);
}

function day(iso) {
  const date = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(LANG, { day: "2-digit", month: "2-digit", timeZone: "UTC" }).format(date);
}

function path(points) {
  // Break the line where a value is missing (no leads → no CPL that day).
  let d = "";
  let pen = false;
  for (const p of points) {
    if (p === null) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${p[0].toFixed(1)},${p[1].toFixed(1)}`;
    pen = true;
  }
  return d;
}

/**
 * A <figure> with the chart, a legend and a text summary for screen readers.
 * @param {Array<{date: string, spend_cents?: number, leads?: number, cpl_cents?: number|null}>} series
 * @param {{currency?: string, title?: string}} options
 */
export function timeseriesChart(series, { currency, title } = {}) {
  // A phone gets a narrower drawing so that its 11px labels stay readable once scaled down.
  const W = window.innerWidth < 560 ? 360 : 640;
  const H = W < 640 ? 230 : 260;
  const rows = series.filter((r) => r && typeof r === "object" && r.date);
  const spend = rows.map((r) => (Number.isFinite(r.spend_cents) ? r.spend_cents : 0));
  const leads = rows.map((r) => (Number.isFinite(r.leads) ? r.leads : 0));
  const cpl = rows.map((r) => (Number.isFinite(r.cpl_cents) ? r.cpl_cents : null));
  const hasCpl = cpl.some((v) => v !== null);

  const money_ = niceScale(Math.max(0, ...spend) / 100);
  const cplScale = niceScale(Math.max(0, ...cpl.filter((v) => v !== null)) / 100);
  const count = niceScale(Math.max(0, ...leads));
  const right = M.right + (hasCpl ? CPL_AXIS : 0);
  const plotW = W - M.left - right;
  const plotH = H - M.top - M.bottom;
  const x = (i) => M.left + (rows.length === 1 ? plotW / 2 : (plotW * i) / (rows.length - 1));
  const yMoney = (cents) => M.top + plotH - (plotH * (cents / 100)) / money_.max;
  const yCount = (n) => M.top + plotH - (plotH * n) / count.max;
  const yCpl = (cents) => M.top + plotH - (plotH * (cents / 100)) / cplScale.max;

  const uid = `chart-${Math.random().toString(36).slice(2, 9)}`;
  const svg = el("svg", {
    viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-labelledby": `${uid}-t ${uid}-d`,
    preserveAspectRatio: "xMidYMid meet",
  });
  const chartTitle = title || t("chartTitle");
  svg.append(el("title", { id: `${uid}-t` }, chartTitle));
  const totalSpend = spend.reduce((a, b) => a + b, 0);
  const totalLeads = leads.reduce((a, b) => a + b, 0);
  const summary = `${rows.length ? `${rows[0].date} – ${rows[rows.length - 1].date}` : ""}: `
    + `${t("spend")} ${money(totalSpend, currency)}, ${t("leads")} ${number(totalLeads)}`;
  svg.append(el("desc", { id: `${uid}-d` }, summary));

  // Grid and axes.
  const grid = el("g", { class: "chart-grid" });
  for (let k = 0; k <= 4; k += 1) {
    const y = M.top + plotH - (plotH * k) / 4;
    grid.append(el("line", { x1: M.left, x2: W - right, y1: y, y2: y }));
    grid.append(el("text", { x: M.left - 6, y: y + 4, "text-anchor": "end", class: "chart-axis chart-axis-spend" },
      money(money_.step * k * 100, currency, true)));
    grid.append(el("text", { x: W - right + 6, y: y + 4, "text-anchor": "start", class: "chart-axis chart-axis-leads" },
      number(count.step * k, { maximumFractionDigits: 1 })));
    if (hasCpl) {
      grid.append(el("text", { x: W - M.right + 8, y: y + 4, "text-anchor": "start", class: "chart-axis chart-axis-cpl" },
        money(cplScale.step * k * 100, currency, true)));
    }
  }
  // Axis titles with units: spend per day, leads (count), CPL per lead.
  // The right-hand titles share the corner, one per line, each in its axis's colour.
  grid.append(el("text", { x: 4, y: 12, "text-anchor": "start", class: "chart-unit chart-axis-spend" },
    `${t("spend")}${currency ? `, ${currency}` : ""}${t("perDay")}`));
  grid.append(el("text", { x: W - 4, y: 12, "text-anchor": "end", class: "chart-unit chart-axis-leads" },
    t("leadsUnit")));
  if (hasCpl) {
    grid.append(el("text", { x: W - 4, y: 25, "text-anchor": "end", class: "chart-unit chart-axis-cpl" },
      `${t("cpl")}${currency ? `, ${currency}` : ""}`));
  }
  const every = Math.max(1, Math.ceil(rows.length / (W < 640 ? 4 : 7)));
  rows.forEach((r, i) => {
    const last = rows.length - 1;
    if (i === last || (i % every === 0 && last - i >= every)) {
      grid.append(el("text", { x: x(i), y: H - M.bottom + 18, "text-anchor": "middle", class: "chart-axis" },
        day(r.date)));
    }
  });
  svg.append(grid);

  // Lines.
  svg.append(el("path", { d: path(spend.map((v, i) => [x(i), yMoney(v)])), class: "chart-line chart-spend" }));
  svg.append(el("path", { d: path(leads.map((v, i) => [x(i), yCount(v)])), class: "chart-line chart-leads" }));
  if (hasCpl) {
    svg.append(el("path", {
      d: path(cpl.map((v, i) => (v === null ? null : [x(i), yCpl(v)]))), class: "chart-line chart-cpl",
    }));
  }

  // Points with a tooltip each.
  const dots = el("g", { class: "chart-points" });
  rows.forEach((r, i) => {
    const tip = `${day(r.date)}: ${t("spend")} ${money(spend[i], currency)}, ${t("leads")} ${number(leads[i])}`
      + (cpl[i] !== null ? `, ${t("cpl")} ${money(cpl[i], currency)}` : "");
    const spendDot = el("circle", { cx: x(i), cy: yMoney(spend[i]), r: 3.5, class: "chart-spend" });
    spendDot.append(el("title", {}, tip));
    const leadDot = el("circle", { cx: x(i), cy: yCount(leads[i]), r: 3.5, class: "chart-leads" });
    leadDot.append(el("title", {}, tip));
    dots.append(spendDot, leadDot);
  });
  svg.append(dots);

  const figure = document.createElement("figure");
  figure.className = "chart-figure";
  figure.append(svg);
  const legend = document.createElement("figcaption");
  legend.className = "chart-legend";
  const items = [["chart-spend", `${t("spend")}${currency ? `, ${currency}` : ""}${t("perDay")}`],
    ["chart-leads", t("leadsUnit")]];
  if (hasCpl) items.push(["chart-cpl", `${t("cpl")}${currency ? `, ${currency}` : ""} ${t("cplAxis")}`]);
  for (const [cls, label] of items) {
    const item = document.createElement("span");
    item.className = `legend-item ${cls}`;
    const swatch = document.createElement("span");
    swatch.className = "legend-swatch";
    swatch.setAttribute("aria-hidden", "true");
    item.append(swatch, document.createTextNode(label));
    legend.append(item);
  }
  figure.append(legend);
  return figure;
}

/** Whether a tool result carries a daily series this module can draw. */
export function isChartable(result) {
  return Boolean(result && result.chart === "timeseries" && Array.isArray(result.series) && result.series.length);
}
