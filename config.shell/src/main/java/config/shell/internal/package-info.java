/** The configuration shell; private. */
package config.shell.internal;
