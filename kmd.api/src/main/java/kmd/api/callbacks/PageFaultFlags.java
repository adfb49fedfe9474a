package kmd.api.callbacks;

import java.util.ArrayList;
import java.util.List;

/**
 * DXGK_PAGE_FAULT_FLAGS (d3dkmdt.h): the bits of {@link InterruptNotification.DmaPageFaulted#pageFaultFlags}
 * that describe a GPU page fault and prescribe the OS's recovery.
 */
public final class PageFaultFlags {
    /** DXGK_PAGE_FAULT_WRITE: the faulting access was a write. */
    public static final int WRITE = 0x1;
    /**
     * DXGK_PAGE_FAULT_FENCE_INVALID: the faulting packet could not be determined; the OS resets the
     * GPU (ADAPTER_RESET_REQUIRED or ENGINE_RESET_REQUIRED is set too). Clear: the submission with
     * FaultedFenceId faulted, and the OS treats the context's packets before it as completed.
     */
    public static final int FENCE_INVALID = 0x2;
    /** DXGK_PAGE_FAULT_ADAPTER_RESET_REQUIRED: the GPU needs a full adapter reset. */
    public static final int ADAPTER_RESET_REQUIRED = 0x4;
    /** DXGK_PAGE_FAULT_ENGINE_RESET_REQUIRED: the GPU needs the faulting engine reset. */
    public static final int ENGINE_RESET_REQUIRED = 0x8;
    /** DXGK_PAGE_FAULT_FATAL_HARDWARE_ERROR: the system cannot go on (Windows bug-checks). */
    public static final int FATAL_HARDWARE_ERROR = 0x10;
    /** DXGK_PAGE_FAULT_IOMMU: the faulting address was mapped through the IOMMU, not a GPU MMU. */
    public static final int IOMMU = 0x20;
    /** DXGK_PAGE_FAULT_HW_CONTEXT_VALID: the interrupt's context handle names the faulting context. */
    public static final int HW_CONTEXT_VALID = 0x40;
    /** DXGK_PAGE_FAULT_PROCESS_HANDLE_VALID: FaultedProcessHandle names the faulting process. */
    public static final int PROCESS_HANDLE_VALID = 0x80;

    private static final String[] NAMES = {"WRITE", "FENCE_INVALID", "ADAPTER_RESET_REQUIRED", "ENGINE_RESET_REQUIRED",
        "FATAL_HARDWARE_ERROR", "IOMMU", "HW_CONTEXT_VALID", "PROCESS_HANDLE_VALID"};

    private PageFaultFlags() {
    }

    /** The set bits by name, lowest first, joined by {@code |} ("0" for none; unknown bits in hex). */
    public static String describe(int flags) {
        List<String> names = new ArrayList<>();
        for (int bit = 0; bit < NAMES.length; bit++) {
            if ((flags & (1 << bit)) != 0) {
                names.add(NAMES[bit]);
            }
        }
        int unknown = flags & ~((1 << NAMES.length) - 1);
        if (unknown != 0) {
            names.add("0x" + Integer.toHexString(unknown));
        }
        return names.isEmpty() ? "0" : String.join("|", names);
    }
}
