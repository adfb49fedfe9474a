package vidmm;

/**
 * A device of a process.
 *
 * @param handle          VidMm's device handle
 * @param pid             its process
 * @param pasid           its process's PASID
 * @param status          active, or in error after a fault
 * @param submittedFence  the last fence value submitted
 * @param completedFence  the last fence value the GPU completed
 * @param adapter         the adapter the device was created on
 */
public record DeviceInfo(long handle, int pid, int pasid, Status status, long submittedFence, long completedFence,
                         int adapter) {
    public enum Status { ACTIVE, ERROR }
}
