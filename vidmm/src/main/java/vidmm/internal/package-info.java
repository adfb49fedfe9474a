/** Implementation of the video memory manager; private. */
package vidmm.internal;
