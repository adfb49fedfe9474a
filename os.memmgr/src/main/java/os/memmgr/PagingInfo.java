package os.memmgr;

/**
 * The paging side of the memory manager, as {@code mm:pagefile} shows it.
 *
 * @param path            the pagefile, or {@code null} when the system runs without one
 * @param slots           pages the pagefile can hold
 * @param slotsUsed       slots holding a page: paged-out pages and clean copies of resident pages
 * @param pagedOut        pages whose only copy is in the pagefile now
 * @param pagesOut        pages written to the pagefile since start
 * @param pagesIn         pages read back since start
 * @param pagesDropped    clean pages trimmed without a write (their pagefile copy was current)
 * @param ioErrors        failed pagefile reads and writes since start
 * @param commitCharge    pages charged system-wide (private commit and sections)
 * @param commitLimit     RAM frames plus pagefile slots
 * @param lowWaterFrames  trimming starts when free frames fall under this
 */
public record PagingInfo(String path, long slots, long slotsUsed, long pagedOut, long pagesOut, long pagesIn,
                         long pagesDropped, long ioErrors, long commitCharge, long commitLimit, long lowWaterFrames) {
}
