/** The reference user-mode driver; private. */
package umd.reference.internal;
