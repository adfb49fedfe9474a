package umd.reference.internal;

import umd.api.Resource;

/** A resource backed by one kernel allocation; {@code source} is the present source of a primary, else -1. */
record RefResource(long allocation, long va, long size, int width, int height, int pitch, long sharedHandle,
                   int source) implements Resource {
}
