// Package scripts holds the tests of the release scripts in this directory
// (release.sh, install.sh), of the Debian package they build, and of the
// GitHub workflows and action that run them. It has no code of its own.
package scripts
