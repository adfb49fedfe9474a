package kmd.api;

/**
 * DXGK_ALLOCATIONINFOFLAGS, the part this model uses: what a driver says of an allocation it
 * describes in DxgkDdiCreateAllocation. What the application asked for (a primary, a shared
 * allocation) is not here: those are user-mode creation flags ({@code umd.api.AllocationCreateFlag}).
 */
public enum AllocationFlag {
    /**
     * CpuVisible: the CPU reads or writes the allocation. In the IoMmu model every allocation lives
     * in system memory at the same VA for CPU and GPU, so a driver may always set it.
     */
    CPU_VISIBLE
}
