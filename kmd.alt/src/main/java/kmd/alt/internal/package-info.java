/** The Contoso kernel-mode driver; private. */
package kmd.alt.internal;
