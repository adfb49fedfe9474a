package vidmm;

/**
 * A device's paging queue (D3DKMTCreatePagingQueue): MakeResident through it advances its paging
 * fence, a monitored fence of the device's process.
 *
 * @param handle     hPagingQueue
 * @param device     the device it belongs to
 * @param syncObject hSyncObject: the paging fence
 * @param fenceVa    FenceValueCPUVirtualAddress: where the process reads the fence's value
 */
public record PagingQueueInfo(long handle, long device, long syncObject, long fenceVa) {
}
