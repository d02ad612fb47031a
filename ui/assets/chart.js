// Charts drawn as SVG: a sparkline for the overview and line charts with
// axes for a function's page. A bucket without data draws no point, so a
// chart's points are the buckets that had invocations.

const ns = 'http://www.w3.org/2000/svg';

function s(tag, attrs, ...children) {
  const el = document.createElementNS(ns, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) if (c) el.append(c);
  return el;
}

function title(text) {
  const t = s('title');
  t.textContent = text;
  return t;
}

// sparkline draws values (null: no data) in a small box.
export function sparkline(values, label) {
  const w = 120, hgt = 28, pad = 2;
  const max = Math.max(1e-9, ...values.filter((v) => v !== null));
  const x = (i) => pad + (i * (w - 2 * pad)) / Math.max(1, values.length - 1);
  const y = (v) => hgt - pad - (v / max) * (hgt - 2 * pad);
  const svg = s('svg', { class: 'spark', viewBox: `0 0 ${w} ${hgt}`, width: w, height: hgt, role: 'img', 'aria-label': label });
  svg.append(title(label));
  let d = '';
  values.forEach((v, i) => {
    if (v === null) return;
    d += `${d && values[i - 1] !== null ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
  });
  if (d) svg.append(s('path', { d, class: 'line' }));
  values.forEach((v, i) => { if (v !== null) svg.append(s('circle', { cx: x(i), cy: y(v), r: 1.2, class: 'pt' })); });
  return svg;
}

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// lineChart draws series ({name, cls, values}) over the buckets' start
// times, with a y axis in fmt's unit.
export function lineChart({ times, series, fmt, label }) {
  const w = 640, hgt = 220, left = 64, right = 12, top = 12, bottom = 28;
  const all = series.flatMap((se) => se.values.filter((v) => v !== null));
  const max = niceMax(Math.max(0, ...all));
  const n = times.length;
  const x = (i) => left + (i * (w - left - right)) / Math.max(1, n - 1);
  const y = (v) => top + (1 - v / max) * (hgt - top - bottom);
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${w} ${hgt}`, role: 'img', 'aria-label': label, preserveAspectRatio: 'none' });
  svg.append(title(label));
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    svg.append(s('line', { x1: left, x2: w - right, y1: y(v), y2: y(v), class: 'grid' }));
    const t = s('text', { x: left - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' });
    t.textContent = fmt(v);
    svg.append(t);
  }
  for (const k of [0, Math.floor(n / 2), n - 1]) {
    if (k < 0 || !times[k]) continue;
    const t = s('text', { x: x(k), y: hgt - 8, class: 'tick', 'text-anchor': k === 0 ? 'start' : k === n - 1 ? 'end' : 'middle' });
    t.textContent = new Date(times[k]).toLocaleString(undefined, { hour12: false, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
    svg.append(t);
  }
  for (const se of series) {
    const g = s('g', { class: `series ${se.cls}`, 'data-series': se.name });
    let d = '';
    se.values.forEach((v, i) => {
      if (v === null) return;
      d += `${d && se.values[i - 1] !== null ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    });
    if (d) g.append(s('path', { d, class: 'line' }));
    se.values.forEach((v, i) => {
      if (v === null) return;
      g.append(s('circle', { cx: x(i), cy: y(v), r: 2.5, class: 'pt' }, title(`${se.name} ${fmt(v)} at ${new Date(times[i]).toLocaleTimeString(undefined, { hour12: false })}`)));
    });
    svg.append(g);
  }
  return svg;
}

// legend names a chart's series by their colour classes.
export function legend(series) {
  const ul = document.createElement('ul');
  ul.className = 'legend';
  for (const se of series) {
    const li = document.createElement('li');
    li.className = se.cls;
    li.textContent = se.name;
    ul.append(li);
  }
  return ul;
}
