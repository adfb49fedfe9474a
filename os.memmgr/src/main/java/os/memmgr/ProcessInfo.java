package os.memmgr;

/**
 * A process as the shell lists it.
 *
 * @param pid            process id (a multiple of 4, as on Windows)
 * @param name           the name given at spawn
 * @param pasid          the PASID its address space is bound to, or 0 if none
 * @param pageTableRoot  physical address of its PML4
 * @param committedPages pages committed (private and views)
 * @param residentPages  committed pages that have a frame now
 */
public record ProcessInfo(int pid, String name, int pasid, long pageTableRoot, long committedPages,
                          long residentPages) {
}
