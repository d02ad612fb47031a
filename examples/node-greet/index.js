// greet in Node: the handler runtime calls exports.handler(event, context).
//
//   GET  /?name=Ada          -> {"message":"Hello, Ada!"}
//   POST / {"name": "Ada"}   -> the same
//   lambda invoke node-greet --data '{"name": "Ada"}'
//
// GREETING (default "Hello") changes the greeting, e.g. --env GREETING=Hi.
exports.handler = async (event, context) => {
  const name = String(event.name || '').trim() || 'World';
  const greeting = process.env.GREETING || 'Hello';
  console.log(`greeting ${name} (invocation ${context.invocation_id})`);
  return { message: `${greeting}, ${name}!` };
};
