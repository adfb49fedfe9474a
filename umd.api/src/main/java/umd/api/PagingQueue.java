package umd.api;

/**
 * A device's paging queue (D3DKMTCreatePagingQueue, D3DKMT_CREATEPAGINGQUEUE): the queue MakeResident
 * goes through, and its paging fence, a monitored fence of the process that reaches each
 * MakeResident's PagingFenceValue once the allocations are resident.
 *
 * @param handle                     hPagingQueue
 * @param syncObject                 hSyncObject: the paging fence ({@link KernelThunks#waitFromCpu},
 *                                   {@link KernelThunks#waitFromGpu} take it)
 * @param fenceValueCpuVirtualAddress FenceValueCPUVirtualAddress: where the process reads the fence's value
 */
public record PagingQueue(long handle, long syncObject, long fenceValueCpuVirtualAddress) {
}
