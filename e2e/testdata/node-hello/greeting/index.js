// A tiny dependency, installed with npm from the function's own files.
exports.greet = (name) => `${process.env.GREETING || 'Hello'}, ${name}!`;
