// Package lambda is the domain of a self-hosted Function-as-a-Service engine:
// the types every other package speaks (functions, versions, schedules,
// instances), the service interfaces that adapters implement, and the one
// error type whose codes the HTTP layer maps to statuses.
//
// Adapters live in packages named after their technology (sqlite, docker,
// http, cron, archive) and import only this package; cmd/lambda wires them.
package lambda
