package os.memmgr;

/**
 * A shared section: pages whose frames every view maps.
 *
 * @param handle   section handle
 * @param size     bytes
 * @param views    mapped views now
 * @param resident pages that have a frame
 */
public record SectionInfo(long handle, long size, int views, long resident) {
}
