/** Scenarios and their shell commands; private. */
package workloads.internal;
