package vidmm;

import java.util.List;

/** A process registered with the IOMMU because it uses the GPU. */
public record ProcessRegistration(int pid, int pasid, List<Long> devices) {
    public ProcessRegistration {
        devices = List.copyOf(devices);
    }
}
