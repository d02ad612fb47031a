'use strict';
// Lambda's Node bootstrap: a client of the AWS Lambda Runtime API served by
// the shim (see docs/runtime-contract.md). It loads the handler once, then
// loops on next -> handler(event, context) -> response or error. The shim
// runs it with --protocol handler, so each event arrives in the handler
// envelope {"event": ..., "context": {...}}. No dependencies, Node 18+.

const fs = require('fs');
const http = require('http');
const path = require('path');
const { pathToFileURL } = require('url');

const RUNTIME = '/2018-06-01/runtime';
const address = process.env.AWS_LAMBDA_RUNTIME_API || '127.0.0.1:9001';
const colon = address.lastIndexOf(':');
const host = colon > 0 ? address.slice(0, colon) : '127.0.0.1';
const port = Number(colon >= 0 ? address.slice(colon + 1) : 9001) || 9001;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

let current = null; // the request ID being handled, for crash reports

function log(message) {
  process.stderr.write('bootstrap: ' + message + '\n');
}

function request(method, p, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: RUNTIME + p, agent, headers: headers || {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function post(p, payload, errorType) {
  const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) };
  if (errorType) headers['Lambda-Runtime-Function-Error-Type'] = errorType;
  const res = await request('POST', p, payload, headers);
  if (res.status !== 202) log(`POST ${p} answered ${res.status}: ${res.body.toString('utf8', 0, 500)}`);
}

class InitError extends Error {
  constructor(type, message, cause) {
    super(message);
    this.errorType = type;
    this.cause = cause;
  }
}

// errorBody is the error document of the Runtime API; the stack trace comes
// from traced (the original exception of an init error) when given.
function errorBody(err, type, traced) {
  const isErr = err instanceof Error;
  const t = traced instanceof Error ? traced : err;
  const stack = t instanceof Error && typeof t.stack === 'string' ? t.stack.split('\n').slice(1).map((l) => l.trim()) : [];
  return JSON.stringify({
    errorMessage: isErr ? err.message : String(err),
    errorType: type || (isErr ? err.name || err.constructor.name : typeof err),
    stackTrace: stack,
  });
}

// loadHandler resolves spec ("file.function", "dir/file.function" or
// "file.object.function") under taskRoot and returns the function.
async function loadHandler(spec, taskRoot) {
  const slash = spec.lastIndexOf('/');
  const dot = spec.indexOf('.', slash + 1);
  if (dot <= slash + 1 || dot === spec.length - 1) {
    throw new InitError('Runtime.MalformedHandlerName', `handler ${JSON.stringify(spec)} is not of the form file.function (e.g. index.handler)`);
  }
  const moduleName = spec.slice(0, dot);
  const names = spec.slice(dot + 1).split('.');
  const candidates = ['.js', '.cjs', '.mjs'].map((ext) => path.join(taskRoot, moduleName + ext));
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) {
    throw new InitError('Runtime.ImportModuleError',
      `Cannot find module '${moduleName}': looked for ${candidates.map((f) => path.basename(f)).join(', ')} in ${path.dirname(candidates[0])} (the handler is ${JSON.stringify(spec)})`);
  }
  let mod;
  try {
    if (file.endsWith('.mjs')) {
      mod = await import(pathToFileURL(file).href);
    } else {
      try {
        mod = require(file);
      } catch (e) {
        if (e && e.code !== 'ERR_REQUIRE_ESM') throw e;
        mod = await import(pathToFileURL(file).href);
      }
    }
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new InitError(e.name, `Syntax error in ${file}: ${e.message}`, e);
    }
    if (e && e.code === 'MODULE_NOT_FOUND') {
      throw new InitError('Runtime.ImportModuleError', `Error loading ${file}: ${e.message.split('\n')[0]} (add it to package.json dependencies)`, e);
    }
    throw new InitError(e && e.name ? e.name : 'Error', `Loading ${file} failed: ${e && e.message ? e.message : e}`, e);
  }
  let fn = mod;
  for (const n of names) {
    fn = fn == null ? undefined : fn[n];
  }
  if (fn === undefined && mod && mod.default && names.length === 1) fn = mod.default[names[0]];
  if (fn === undefined) {
    throw new InitError('Runtime.HandlerNotFound',
      `${spec} is undefined or not exported (looked for exports.${names.join('.')} in ${file})`);
  }
  if (typeof fn !== 'function') {
    throw new InitError('Runtime.HandlerNotFound', `${spec} is a ${typeof fn}, not a function`);
  }
  return fn;
}

function makeContext(ctx, headers) {
  const env = process.env;
  const id = ctx.invocation_id || headers['lambda-runtime-aws-request-id'] || '';
  const deadline = Number(ctx.deadline_ms || headers['lambda-runtime-deadline-ms'] || 0);
  const memory = Number(ctx.memory_limit_mb || env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE || 0);
  const c = {
    function_name: ctx.function_name || env.AWS_LAMBDA_FUNCTION_NAME || '',
    function_version: ctx.function_version || env.AWS_LAMBDA_FUNCTION_VERSION || '',
    invocation_id: id,
    aws_request_id: id,
    memory_limit_in_mb: memory,
    deadline_ms: deadline,
    request: ctx.request === undefined ? null : ctx.request,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'] || '',
    // The Invoke API's client context, parsed, as AWS's Node runtime has it.
    clientContext: headers['lambda-runtime-client-context'] ? JSON.parse(headers['lambda-runtime-client-context']) : undefined,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME || '',
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME || '',
    callbackWaitsForEmptyEventLoop: true,
    get_remaining_time_in_millis() {
      return deadline ? Math.max(0, deadline - Date.now()) : 0;
    },
  };
  // The names AWS's Node runtime uses, for handlers written for it.
  c.functionName = c.function_name;
  c.functionVersion = c.function_version;
  c.invocationId = id;
  c.awsRequestId = id;
  c.memoryLimitInMB = String(memory);
  c.deadlineMs = deadline;
  c.getRemainingTimeInMillis = c.get_remaining_time_in_millis;
  return c;
}

function splitEnvelope(body, headers) {
  const payload = body.length ? JSON.parse(body.toString('utf8')) : {};
  if (payload && typeof payload === 'object' && 'event' in payload && payload.context && typeof payload.context === 'object') {
    return [payload.event, makeContext(payload.context, headers)];
  }
  // A bare event (the aws protocol): the context comes from the headers.
  return [payload, makeContext({}, headers)];
}

// invoke calls fn and settles with its result: a returned value, a
// Promise, or (for three-argument handlers) the callback.
function invoke(fn, event, context) {
  return new Promise((resolve, reject) => {
    const callback = (err, result) => (err ? reject(err) : resolve(result));
    let r;
    try {
      r = fn(event, context, callback);
    } catch (e) {
      reject(e);
      return;
    }
    if (r && typeof r.then === 'function') {
      r.then(resolve, reject);
    } else if (fn.length < 3 || r !== undefined) {
      resolve(r);
    }
  });
}

async function serve(fn) {
  for (;;) {
    const next = await request('GET', '/invocation/next');
    if (next.status !== 200) {
      throw new Error(`GET /runtime/invocation/next answered ${next.status}: ${next.body.toString('utf8', 0, 200)}`);
    }
    const id = next.headers['lambda-runtime-aws-request-id'] || '';
    current = id;
    let result;
    try {
      const [event, context] = splitEnvelope(next.body, next.headers);
      result = await invoke(fn, event, context);
    } catch (e) {
      console.error(e);
      await post(`/invocation/${id}/error`, errorBody(e), e instanceof Error ? e.name : typeof e);
      current = null;
      continue;
    }
    let data;
    try {
      data = JSON.stringify(result === undefined ? null : result);
    } catch (e) {
      log(`cannot encode the handler's result as JSON: ${e.message}`);
      await post(`/invocation/${id}/error`, errorBody(e, 'Runtime.MarshalError'), 'Runtime.MarshalError');
      current = null;
      continue;
    }
    await post(`/invocation/${id}/response`, data);
    current = null;
  }
}

// A crash outside the handler's promise chain ends the process as AWS does,
// after failing the invocation it happened in.
function crash(type) {
  return (err) => {
    console.error(err);
    const done = () => process.exit(1);
    if (current === null) return done();
    post(`/invocation/${current}/error`, errorBody(err, type), type).then(done, done);
  };
}

// awaitInit: a pre-initialized instance's interpreter is up before the
// platform chose a function; the shim answers once the function's code is
// in the task root, with the function's environment.
async function awaitInit() {
  const res = await request('GET', '/preinit');
  if (res.status !== 200) {
    log(`GET /runtime/preinit answered ${res.status}: ${res.body.toString().slice(0, 200)}`);
    process.exit(1);
  }
  Object.assign(process.env, JSON.parse(res.body.toString()));
  delete process.env.LAMBDA_PREINIT;
}

async function main() {
  if (process.env.LAMBDA_PREINIT === '1') await awaitInit();
  const spec = process.env._HANDLER || process.env.LAMBDA_HANDLER || 'index.handler';
  const taskRoot = process.env.LAMBDA_TASK_ROOT || '/var/task';
  let fn;
  try {
    fn = await loadHandler(spec, taskRoot);
  } catch (e) {
    const type = e instanceof InitError ? e.errorType : 'Runtime.UnknownError';
    if (e.cause) console.error(e.cause);
    log(`${type}: ${e.message}`);
    await post('/init/error', errorBody(e, type, e.cause), type).catch(() => {});
    process.exit(1);
  }
  process.on('uncaughtException', crash('Runtime.UncaughtException'));
  process.on('unhandledRejection', crash('Runtime.UnhandledPromiseRejection'));
  await serve(fn);
}

main().catch((e) => {
  log(`the Runtime API failed: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
