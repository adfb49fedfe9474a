package kmd.api;

/**
 * The paging operations of the contract, a subset of the WDK's DXGK_BUILDPAGINGBUFFER_OPERATION.
 * VidMm issues the aperture operations (MapApertureSegment, UnmapApertureSegment), which program the
 * aperture segment (GART) with system-memory frames VidMm pinned and have no PASID (0); Transfer, Fill
 * and SignalMonitoredFence work in the address space of their PASID, a driver must implement them,
 * and the conformance kit checks that it does.
 */
public sealed interface PagingOperation permits PagingOperation.Transfer, PagingOperation.Fill,
        PagingOperation.SignalMonitoredFence, PagingOperation.MapApertureSegment, PagingOperation.UnmapApertureSegment {
    int pasid();

    /** Points aperture-segment pages from {@code firstPage} at {@code frames} (system-memory frame numbers). */
    record MapApertureSegment(int segmentId, long firstPage, long[] frames) implements PagingOperation {
        public MapApertureSegment {
            frames = frames.clone();
        }

        @Override
        public int pasid() {
            return 0;
        }
    }

    /** Points {@code pages} aperture-segment pages from {@code firstPage} back at the dummy page. */
    record UnmapApertureSegment(int segmentId, long firstPage, long pages) implements PagingOperation {
        @Override
        public int pasid() {
            return 0;
        }
    }

    record Transfer(int pasid, long srcVa, long dstVa, long length) implements PagingOperation {
    }

    record Fill(int pasid, long va, long length, int pattern) implements PagingOperation {
    }

    /** Writes {@code value} to the 8-byte monitored fence at {@code fenceVa}. */
    record SignalMonitoredFence(int pasid, long fenceVa, long value) implements PagingOperation {
    }
}
