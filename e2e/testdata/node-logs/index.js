// A Node handler for the log tests: prints the event's marker on stdout
// and stderr, and answers with its request ID.
exports.handler = async (event, context) => {
  console.log('js-line ' + (event.marker || ''));
  console.error('js-err ' + (event.marker || ''));
  return { request_id: context.awsRequestId };
};
