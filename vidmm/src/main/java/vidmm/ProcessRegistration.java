package vidmm;

import java.util.List;

/**
 * A process registered with an adapter's IOMMU unit because it has devices on that adapter.
 *
 * @param pid       the process
 * @param pasid     its PASID on that unit
 * @param devices   its devices on the adapter
 * @param adapter   the adapter's index
 * @param iommuUnit the unit the adapter sits behind
 */
public record ProcessRegistration(int pid, int pasid, List<Long> devices, int adapter, int iommuUnit) {
    public ProcessRegistration {
        devices = List.copyOf(devices);
    }
}
