/** Implementation of the OS memory manager; private. */
package os.memmgr.internal;
