package os.memmgr;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard service told when a device behind an IOMMU unit did not answer a device-TLB invalidation
 * in time (an invalidation time-out, ITE). The unit refuses the device's translated requests from then
 * on, so nothing it still caches reaches memory, until the device is reset: whoever drives the device
 * (VidMm for a GPU) resets it.
 */
@ConsumerType
public interface IommuDeviceListener {
    /**
     * Unit {@code unit} timed out a device-TLB invalidation of the device with PCI requester id
     * {@code requesterId} (bus in bits 15:8, device and function in 7:0). Called on the thread that
     * invalidated, with the memory manager's locks held: queue the reset, do not do it here, and never
     * call the memory manager. Must not throw; an exception is logged and ignored.
     */
    void invalidationTimedOut(int unit, int requesterId);
}
