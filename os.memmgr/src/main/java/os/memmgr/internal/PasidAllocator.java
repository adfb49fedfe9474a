package os.memmgr.internal;

import java.util.BitSet;

import iommu.hw.Pasid;
import os.memmgr.MemoryException;
import os.memmgr.Status;

/** Hands out the lowest free PASID in 1..{@code max} (at most 2^20-1). */
final class PasidAllocator {
    private final int max;
    private final BitSet used;

    PasidAllocator(int max) {
        this.max = Math.min(max, Pasid.MAX);
        this.used = new BitSet(this.max + 1);
    }

    synchronized int allocate() {
        int pasid = used.nextClearBit(Pasid.MIN);
        if (pasid > max) {
            throw new MemoryException(Status.NO_MEMORY, "all " + max + " PASIDs of the unit are in use");
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
