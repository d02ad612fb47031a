// The project's functions: one file, several handlers (lambda.yaml names
// them as functions.NAME). Each is called as handler(event, context); event
// is the JSON payload of `lambda invoke` or cron, or for an HTTP request its
// JSON body with the query parameters merged in.

function object(event) {
  return event !== null && typeof event === 'object' && !Array.isArray(event) ? event : {};
}

// greet answers {"message":"Hello, NAME!"} (World by default).
exports.greet = async (event) => {
  const name = String(object(event).name || '').trim() || 'World';
  return { message: `${process.env.GREETING || 'Hello'}, ${name}!` };
};

// count answers the number of words of {"text": "..."}.
exports.count = async (event) => {
  const text = String(object(event).text || '');
  const words = text.split(/\s+/).filter((w) => w !== '');
  return { words: words.length };
};

// report runs on weekdays at 08:00 UTC (its schedule in lambda.yaml); what
// it logs is in `lambda logs report`, its result in `lambda invocations report`.
exports.report = async (event, context) => {
  const at = new Date().toISOString();
  console.log(`report at ${at}`);
  return { report: 'done', at, invocation: context && context.invocation_id };
};
