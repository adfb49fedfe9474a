package os.memmgr.internal;

import os.memmgr.PageProtection;

/**
 * A virtual address descriptor: one reservation (private) or one section view (mapped), with the
 * commit state and protection of each of its pages. Guarded by the owning address space's lock.
 */
final class Vad {
    /** PageProtection.values(), made once: values() copies the array at every call. */
    private static final PageProtection[] PROTECTIONS = PageProtection.values();
    private static final byte COMMITTED = (byte) 0x80;

    final long base;
    final long pages;
    /** The mapped section, or {@code null} for private memory. */
    final Section section;
    /** For large-page memory (MEM_LARGE_PAGES), the first frame of each 2 MiB page; else null. */
    final long[] largeFrames;
    private final byte[] state;

    Vad(long base, long pages, Section section) {
        this(base, pages, section, null);
    }

    Vad(long base, long pages, Section section, long[] largeFrames) {
        this.base = base;
        this.pages = pages;
        this.section = section;
        this.largeFrames = largeFrames;
        this.state = new byte[(int) pages];
    }

    boolean large() {
        return largeFrames != null;
    }

    long end() {
        return base + (pages << 12);
    }

    boolean contains(long va) {
        return va >= base && va < end();
    }

    int pageIndex(long va) {
        return (int) ((va - base) >>> 12);
    }

    boolean committed(int page) {
        return (state[page] & COMMITTED) != 0;
    }

    PageProtection protection(int page) {
        return PROTECTIONS[state[page] & 0x0F];
    }

    void set(int page, boolean committed, PageProtection protection) {
        state[page] = (byte) ((committed ? COMMITTED : 0) | protection.ordinal());
    }
}
