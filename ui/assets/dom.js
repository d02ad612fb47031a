// DOM helpers. Text always goes in as text nodes, never as HTML: function
// names, log lines and error messages come from users and functions.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// replace puts children in el in place of what it held.
export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// goDuration reads a Go duration ("1m2.5s", "350µs") in milliseconds.
export function goDuration(s) {
  if (typeof s === 'number') return s / 1e6;
  if (!s) return 0;
  const units = { h: 3600e3, m: 60e3, s: 1e3, ms: 1, 'µs': 1e-3, 'us': 1e-3, ns: 1e-6 };
  let ms = 0;
  for (const [, n, u] of String(s).matchAll(/([0-9.]+)(h|ms|m|s|µs|us|ns)/g)) ms += parseFloat(n) * units[u];
  return ms;
}

export function fmtMs(ms) {
  if (!ms) return '0 ms';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 10000) return `${ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function fmtAgo(t) {
  if (!t) return '-';
  const s = (Date.now() - new Date(t).getTime()) / 1000;
  if (s < 0) return `in ${fmtSpan(-s)}`;
  return `${fmtSpan(s)} ago`;
}

function fmtSpan(s) {
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  if (s < 86400) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

export function fmtTime(t) {
  if (!t) return '-';
  const d = new Date(t);
  return d.toLocaleString(undefined, { hour12: false });
}

export function fmtPct(x) {
  if (!isFinite(x)) return '-';
  return `${(x * 100).toFixed(x < 0.1 && x > 0 ? 1 : 0)}%`;
}
