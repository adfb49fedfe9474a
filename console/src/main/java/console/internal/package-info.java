/** The web console plugin; private. */
package console.internal;
