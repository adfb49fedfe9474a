package os.memmgr.internal;

import os.memmgr.MemoryException;
import os.memmgr.Status;

/**
 * The system's commit charge against its commit limit (RAM frames plus pagefile slots), in pages.
 * Every committed private page and every page of a section is charged once, when it is committed
 * (or the section created), whether or not it was ever touched: touching can then never fail for
 * lack of backing store. Thread safe.
 */
final class CommitCharge {
    private final long limit;
    private long charged;

    CommitCharge(long limitPages) {
        this.limit = limitPages;
    }

    /** Charges {@code pages}, or throws COMMITMENT_LIMIT naming the operation and changes nothing. */
    synchronized void charge(String op, long pages) {
        if (pages > limit - charged) {
            throw new MemoryException(Status.COMMITMENT_LIMIT, String.format(
                    "%s: committing %d more pages would exceed the commit limit of %d pages (%d charged; limit = RAM + pagefile)",
                    op, pages, limit, charged));
        }
        charged += pages;
    }

    synchronized void release(long pages) {
        if (pages > charged) {
            throw new IllegalStateException("releasing " + pages + " pages of commit, only " + charged + " charged");
        }
        charged -= pages;
    }

    synchronized long charged() {
        return charged;
    }

    long limit() {
        return limit;
    }
}
