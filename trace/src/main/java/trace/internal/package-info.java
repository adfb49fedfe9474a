/** The tracer; private. */
package trace.internal;
