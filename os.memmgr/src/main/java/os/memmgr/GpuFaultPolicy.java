package os.memmgr;

import java.util.Locale;

/**
 * What the OS does when a device (a GPU) reaches a page of a process that is not present: the
 * memory manager's setting for every IOMMU unit's devices: whether their entries in the unit's own
 * tables allow page requests ({@code iommu.hw.driver.IommuDriver#setPageRequests}).
 */
public enum GpuFaultPolicy {
    /**
     * Windows' policy: memory a GPU uses must have been made resident (D3DKMTMakeResident pins it);
     * an access to a page that is not present is a page fault of the submission
     * (DXGK_INTERRUPT_DMA_PAGE_FAULTED, then an engine reset), never paged in. Devices send no page
     * requests.
     */
    WINDOWS,
    /**
     * Shared virtual addressing as Linux has it: a page that is not present becomes a page request
     * (PCIe PRI) that the memory manager resolves (demand zero or a page-in from the pagefile) before
     * the device retries.
     */
    SVA;

    /** The name configuration and the shell use: {@code windows} or {@code sva}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the value and the choices if it is neither */
    public static GpuFaultPolicy parse(String value) {
        for (GpuFaultPolicy p : values()) {
            if (p.label().equals(value == null ? null : value.trim().toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("GPU fault policy '" + value + "' is not windows or sva");
    }
}
