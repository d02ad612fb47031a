// A Node handler for the tests: greets like examples/greet, with a
// dependency (greeting, a file: dependency in package.json).
//
// event {"name": "Ada"}   -> {"message": "Hello, Ada!"}
// event {"fail": "boom"}  -> rejects with Error("boom")
// event {"status": 201}   -> an HTTP response with that status
// event {"context": true} -> what the handler sees of its context
const { greet } = require('greeting');

exports.handler = async (event, context) => {
  if (event.fail) {
    throw new Error(event.fail);
  }
  if (event.status) {
    return {
      statusCode: Number(event.status),
      headers: { 'Content-Type': 'text/plain', 'X-Fixture': 'node-hello' },
      body: greet(event.name || 'World'),
    };
  }
  if (event.context) {
    return {
      function_name: context.function_name,
      function_version: context.function_version,
      invocation_id: context.invocation_id,
      aws_request_id: context.awsRequestId,
      memory_limit_in_mb: context.memory_limit_in_mb,
      remaining_ms_positive: context.getRemainingTimeInMillis() > 0,
      request: context.request,
    };
  }
  return { message: greet(event.name || 'World') };
};
