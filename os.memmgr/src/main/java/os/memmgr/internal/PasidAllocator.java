package os.memmgr.internal;

import java.util.BitSet;

import iommu.hw.Pasid;
import os.memmgr.MemoryException;
import os.memmgr.Status;

/** Hands out the lowest free PASID in 1..2^20-1. */
final class PasidAllocator {
    private final BitSet used = new BitSet(Pasid.MAX + 1);

    synchronized int allocate() {
        int pasid = used.nextClearBit(Pasid.MIN);
        if (pasid > Pasid.MAX) {
            throw new MemoryException(Status.NO_MEMORY, "all " + Pasid.MAX + " PASIDs are in use");
        }
        used.set(pasid);
        return pasid;
    }

    synchronized void free(int pasid) {
        if (!used.get(pasid)) {
            throw new IllegalStateException("PASID " + pasid + " is not allocated");
        }
        used.clear(pasid);
    }
}
