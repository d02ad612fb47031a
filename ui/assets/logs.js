// Logs: the live tail of a function's output (a followed NDJSON read of
// /logs?follow=1, over fetch since EventSource cannot send the key) and
// one invocation's lines.
import { h, replace, fmtTime } from './dom.js';
import { ndjson, api, fn } from './api.js';

const maxLines = 500;

function lineEl(l) {
  if (l.dropped) return h('li', { class: 'dropped' }, `… ${l.dropped} lines dropped: the browser did not keep up`);
  return h('li', { class: `log ${l.stream}` },
    h('time', { datetime: l.time }, fmtTime(l.time)), ' ',
    h('span', { class: 'muted' }, `v${l.version} ${(l.instance || '').slice(0, 12)} `),
    h('span', { class: 'msg' }, l.message));
}

export function logTail(name, ctx) {
  const list = h('ol', { id: 'log-tail', class: 'logs', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const status = h('span', { class: 'muted', id: 'log-status' }, 'stopped');
  let ctl = null;
  const toggle = h('button', { type: 'button', id: 'log-follow', onclick: () => (ctl ? stop() : start()) }, 'Follow');
  const clear = h('button', { type: 'button', onclick: () => replace(list) }, 'Clear');

  async function start() {
    ctl = new AbortController();
    toggle.textContent = 'Stop';
    status.textContent = 'following…';
    try {
      await ndjson(`${fn(name)}/logs?follow=1&tail=50`, (l) => {
        const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
        list.append(lineEl(l));
        while (list.children.length > maxLines) list.firstChild.remove();
        if (stick) list.scrollTop = list.scrollHeight;
      }, ctl.signal);
      status.textContent = 'the server ended the follow (it stopped?): press Follow to resume';
    } catch (e) {
      if (e.name === 'AbortError') status.textContent = 'stopped';
      else {
        status.textContent = '';
        replace(status, ctx.errorBox(e));
      }
    }
    ctl = null;
    toggle.textContent = 'Follow';
  }
  function stop() {
    if (ctl) ctl.abort();
  }
  // The tail starts with the page: that is what one opens it for.
  start();
  return { el: h('div', {}, h('div', { class: 'bar' }, toggle, clear, status), list), stop };
}

// invocationLogs shows one invocation's lines in box. The lines of a
// function served over plain HTTP carry no invocation ID: those printed
// while it ran are shown instead, said so.
export async function invocationLogs(name, job, box, ctx) {
  replace(box, h('p', { class: 'muted' }, 'Loading…'));
  let lines;
  let note = '';
  try {
    try {
      lines = (await api(`${fn(name)}/logs?invocation=${encodeURIComponent(job.id)}`)).lines;
    } catch (e) {
      const start = job.started_at || job.created_at;
      if (e.status !== 404 || !start) throw e;
      const end = job.finished_at ? new Date(job.finished_at) : new Date();
      const since = new Date(new Date(start).getTime() - 1000).toISOString();
      const until = new Date(end.getTime() + 1000).toISOString();
      lines = (await api(`${fn(name)}/logs?since=${since}&until=${until}`)).lines;
      note = 'No line carries this invocation\'s ID (a function served over plain HTTP prints without it): these are the lines printed while it ran.';
    }
    replace(box, h('div', { class: 'invlogs', id: 'invocation-log' },
      h('div', { class: 'bar' }, h('h3', {}, `Logs of ${job.id}`), h('button', { type: 'button', onclick: () => replace(box) }, 'Close')),
      note ? h('p', { class: 'muted' }, note) : null,
      (lines || []).length ? h('ol', { class: 'logs' }, lines.map(lineEl)) : h('p', { class: 'empty' }, 'It printed nothing.')));
    box.querySelector('button').focus();
  } catch (e) {
    replace(box, ctx.errorBox(e));
  }
}
