package vidmm;

/**
 * A device of a process.
 *
 * @param handle          VidMm's device handle
 * @param pid             its process
 * @param pasid           its process's PASID
 * @param status          active, or in error after a fault
 * @param contexts        its contexts' handles, oldest first (each has its own fences: {@link ContextInfo})
 * @param adapter         the adapter the device was created on
 */
public record DeviceInfo(long handle, int pid, int pasid, Status status, java.util.List<Long> contexts, int adapter) {
    public DeviceInfo {
        contexts = java.util.List.copyOf(contexts);
    }

    public enum Status { ACTIVE, ERROR }
}
