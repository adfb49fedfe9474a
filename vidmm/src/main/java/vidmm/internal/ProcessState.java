package vidmm.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * A process with devices on an adapter: its PASID on the IOMMU unit of each physical GPU (the first is
 * its devices' owner PASID). The attached driver's handle of it is in its {@link DriverHandles}.
 * Guarded by the adapter's lock.
 */
final class ProcessState {
    final int pid;
    final int[] pasids;
    final int pasid;
    final List<Long> devices = new ArrayList<>();

    ProcessState(int pid, int[] pasids) {
        this.pid = pid;
        this.pasids = pasids.clone();
        this.pasid = pasids[0];
    }
}
