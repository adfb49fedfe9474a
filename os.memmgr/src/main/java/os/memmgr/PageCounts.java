package os.memmgr;

/**
 * How the 4 KiB pages of a range of an address space stand now, as its page table holds them: what the
 * console's process map shows beside each region of {@link AddressSpace#query}. Counts are in 4 KiB pages.
 *
 * @param resident  present in memory (in a 4 KiB page or a large page), or a NOACCESS page's frame kept
 * @param pagedOut  in the pagefile (a page request or CPU fault brings them back)
 * @param untouched with no page yet: committed pages never touched (demand zero), or not committed
 * @param pinned    resident pages whose frame is locked for DMA (MmProbeAndLockPages, VidMm's residency)
 * @param large     resident pages that lie in 2 MiB pages
 */
public record PageCounts(long resident, long pagedOut, long untouched, long pinned, long large) {
}
