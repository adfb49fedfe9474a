package vidmm;

/**
 * D3DDDI_MAKERESIDENT's out fields.
 *
 * @param pagingFenceValue PagingFenceValue of the paging queue (reached when the call returns: pinning is
 *                         synchronous in the IoMmu model); 0 when refused
 * @param numBytesToTrim   NumBytesToTrim: 0 when made resident; otherwise refused over the budget, nothing changed
 */
public record MakeResidentResult(long pagingFenceValue, long numBytesToTrim) {
}
