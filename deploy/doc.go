// Package deploy holds what runs the server on a VM: the systemd unit
// (lambda.service), its settings file (lambda.env), the install script
// (install.sh). The CI/CD workflow that uses them is
// .github/workflows/deploy.yml. This package has no code: its tests check
// those files (actionlint, systemd-analyze, a dry install, the binary's flags).
package deploy
