/** The reference kernel-mode driver; private. */
package kmd.reference.internal;
