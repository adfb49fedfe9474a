package vidmm.internal;

import java.util.BitSet;

import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * VidMm's view of the aperture segment: which pages primaries occupy, and how many bytes are mapped
 * against the driver's ApertureSegmentCommitLimit. Guarded by VidMm's lock.
 */
final class ApertureSpace {
    final int segmentId;
    private final long pages;
    private final long commitLimit;
    private final BitSet used = new BitSet();
    private long committed;

    /** No aperture: {@code segmentId} 0. */
    ApertureSpace(int segmentId, long pages, long commitLimit) {
        this.segmentId = segmentId;
        this.pages = pages;
        this.commitLimit = commitLimit;
    }

    /** Reserves a contiguous range for {@code count} pages; returns its first page. Changes nothing on refusal. */
    long reserve(long count) {
        if (segmentId == 0) {
            throw new VidMmException(VidMmStatus.DRIVER_REFUSED, "the driver reports no aperture segment");
        }
        long bytes = count << 12;
        if (committed + bytes > commitLimit) {
            throw new VidMmException(VidMmStatus.APERTURE_COMMIT_LIMIT, "mapping " + bytes + " bytes would exceed "
                    + "ApertureSegmentCommitLimit " + commitLimit + " (" + committed + " in use)");
        }
        int start = 0;
        while (start + count <= pages) {
            int taken = used.nextSetBit(start);
            if (taken < 0 || taken >= start + count) {
                used.set(start, (int) (start + count));
                committed += bytes;
                return start;
            }
            start = used.nextClearBit(taken);
        }
        throw new VidMmException(VidMmStatus.APERTURE_COMMIT_LIMIT, "the aperture segment has no " + count
                + " free contiguous pages");
    }

    /** Reserves exactly {@code first .. first+count-1} (a mapping carried over from another driver). */
    void reserveAt(long first, long count) {
        if (segmentId == 0 || first < 0 || first + count > pages) {
            throw new VidMmException(VidMmStatus.APERTURE_COMMIT_LIMIT, "aperture pages " + first + ".."
                    + (first + count - 1) + " do not fit this driver's aperture segment of " + pages + " pages");
        }
        int taken = used.nextSetBit((int) first);
        if ((taken >= 0 && taken < first + count) || committed + (count << 12) > commitLimit) {
            throw new VidMmException(VidMmStatus.APERTURE_COMMIT_LIMIT, "aperture pages " + first + ".."
                    + (first + count - 1) + " are taken or over ApertureSegmentCommitLimit " + commitLimit);
        }
        used.set((int) first, (int) (first + count));
        committed += count << 12;
    }

    void release(long first, long count) {
        used.clear((int) first, (int) (first + count));
        committed -= count << 12;
    }
}
