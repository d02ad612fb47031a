// Package deploy holds what runs the server on a VM: the systemd unit
// (lambda.service), a drop-in for ports below 1024 (low-ports.conf), the
// unit's settings file (lambda.env) and the install script (install.sh).
// The CI/CD workflow that uses them is .github/workflows/deploy.yml. This
// package has no code: its tests check those files (actionlint,
// systemd-analyze, a dry install, the server binary's real flags).
package deploy
