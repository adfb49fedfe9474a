package iommu.hw;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A bus-master test device (like QEMU's IOMMU test device) that issues DMA through the IOMMU with a
 * PASID. Each page of a transfer is translated on its own; the first page that faults stops the
 * transfer, and nothing at or past it is read or written. Pages before it have been transferred.
 *
 * <p>Thread safe. A transfer never uses a translation after an invalidation covering it returned.
 */
@ProviderType
public interface DmaInitiator {
    /** The index of the IOMMU unit this port translates through. */
    int unit();

    /**
     * The PCI requester id (bus in bits 15:8, device and function in 7:0) this port's requests carry:
     * the unit's own test device's, or the device's this port was made for ({@link #device}).
     */
    int requesterId();

    /**
     * The same unit's DMA port for the device with PCI requester id {@code requesterId} (bus in bits
     * 15:8, device and function in 7:0): its requests carry that id, so the unit finds their PASID
     * tables through that device's context entry, and {@link #attach} attaches that device. The device
     * enters the unit's scope (what software writes context entries for) before this returns.
     *
     * @throws IllegalArgumentException for an id outside 0..0xFFFF
     */
    DmaInitiator device(int requesterId);

    /** Reads {@code dst.length} bytes from {@code va} into {@code dst}. */
    DmaResult read(int pasid, long va, byte[] dst);

    /** Writes {@code src} to {@code va}. */
    DmaResult write(int pasid, long va, byte[] src);

    /** Copies {@code length} bytes from {@code srcVa} to {@code dstVa} in the same address space. */
    DmaResult copy(int pasid, long srcVa, long dstVa, long length);

    /**
     * Attaches a device behind this unit that caches translations (ATS): from now on the unit sends it
     * the device-TLB invalidations software queues, and it translates and reaches memory through the
     * returned port.
     */
    AtsPort attach(AtsDevice device);
}
