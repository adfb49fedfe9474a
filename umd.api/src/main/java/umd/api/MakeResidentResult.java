package umd.api;

/**
 * What D3DKMTMakeResident returns (D3DDDI_MAKERESIDENT's out fields).
 *
 * @param pagingFenceValue PagingFenceValue: the paging queue's fence value at which the allocations are
 *                         resident (in the IoMmu model pinning is synchronous, so the fence has reached
 *                         it when the call returns); 0 when refused
 * @param numBytesToTrim   NumBytesToTrim: 0 when the allocations were made resident; otherwise the call was
 *                         refused (E_OUTOFMEMORY), nothing changed, and this is how many bytes over its
 *                         budget the process would be: evict that much and call again
 */
public record MakeResidentResult(long pagingFenceValue, long numBytesToTrim) {
    /** Whether the allocations were made resident. */
    public boolean resident() {
        return numBytesToTrim == 0;
    }
}
