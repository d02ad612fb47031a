// __NAME__: a Node function. The platform calls exports.handler(event, context).
//
// event is the JSON payload of `lambda invoke` (or cron, or the Invoke API);
// for an HTTP request, its JSON body with the query parameters merged in, so
// GET /?name=Ada and `lambda invoke __NAME__ --data '{"name": "Ada"}'` both
// answer {"message":"Hello, Ada!"}.
exports.handler = async (event, context) => {
  const input = event !== null && typeof event === 'object' && !Array.isArray(event) ? event : {};
  const name = String(input.name || '').trim() || 'World';
  const greeting = process.env.GREETING || 'Hello';
  console.log(`greeting ${name}`); // goes to `lambda logs`
  return { message: `${greeting}, ${name}!` };
};
