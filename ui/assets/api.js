// The /v1 API, called with the key the user logged in with. The key lives
// in sessionStorage only: it goes when the browser's session ends, and no
// other tab of another session sees it.

const keyName = 'lambda.key';

export const session = {
  key: () => sessionStorage.getItem(keyName),
  set: (k) => sessionStorage.setItem(keyName, k),
  clear: () => sessionStorage.removeItem(keyName),
};

// APIError is a failed call, with what the user can do about it.
export class APIError extends Error {
  constructor(status, code, message, requestID) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestID = requestID;
    this.hint = hint(status, code, requestID);
  }
}

function hint(status, code, requestID) {
  switch (true) {
    case status === 0:
      return 'Check that the server is running and reachable from this browser, then retry.';
    case status === 401:
      return 'Log in again with a valid key; `lambda keys create NAME --scope read` creates one.';
    case status === 403:
      return 'Your key may not do this: rollback and settings need a deploy key, redrive an invoke key. Log out and log in with one.';
    case status === 404:
      return 'It may have been deleted or renamed: go back to the overview.';
    case status === 409:
      return 'Something else changed it meanwhile: refresh and try again.';
    case status === 429:
      return 'The server is busy or throttling: wait a moment and retry.';
    case status === 501:
      return 'This server does not offer it.';
    case status >= 500:
      return `The server failed: retry, and if it fails again see the server's log${requestID ? ` for request ${requestID}` : ''}.`;
    case status >= 400:
      return 'Correct the value and try again.';
  }
  return '';
}

async function send(path, { method = 'GET', body, signal, key } = {}) {
  const headers = { Authorization: `Bearer ${key || session.key() || ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(`/v1${path}`, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new APIError(0, 'network', `The server did not answer (${e.message}).`);
  }
  if (!resp.ok) {
    let code = 'error';
    let message = `${resp.status} ${resp.statusText}`;
    try {
      const doc = await resp.json();
      if (doc && doc.error) ({ code, message } = doc.error);
    } catch { /* not our JSON: a proxy's page */ }
    const err = new APIError(resp.status, code, message, resp.headers.get('X-Request-Id'));
    if (resp.status === 401 && !key) window.dispatchEvent(new CustomEvent('lambda:unauthorized', { detail: err }));
    throw err;
  }
  return resp;
}

// api calls path (under /v1) and returns its JSON, null for 204.
export async function api(path, opts) {
  const resp = await send(path, opts);
  if (resp.status === 204) return null;
  return resp.json();
}

// ndjson calls path and hands each JSON line to onLine until the answer
// ends or signal aborts.
export async function ndjson(path, onLine, signal) {
  const resp = await send(path, { signal });
  const reader = resp.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) onLine(JSON.parse(line));
    }
  }
}

export const fn = (name) => `/functions/${encodeURIComponent(name)}`;
