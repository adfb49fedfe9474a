package vidmm.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * A process with devices on an adapter: its PASID on the IOMMU unit of each physical GPU (the first is
 * its devices' owner PASID); {@code kmdHandle} is the attached driver's handle of it. Guarded by the
 * adapter's lock.
 */
final class ProcessState {
    final int pid;
    final int[] pasids;
    final int pasid;
    final List<Long> devices = new ArrayList<>();
    long kmdHandle;

    ProcessState(int pid, int[] pasids, long kmdHandle) {
        this.pid = pid;
        this.pasids = pasids.clone();
        this.pasid = pasids[0];
        this.kmdHandle = kmdHandle;
    }

    /** The attached driver knows this process as {@code kmdHandle} (a replay to a new driver). */
    void attachedAs(long kmdHandle) {
        this.kmdHandle = kmdHandle;
    }
}
