package kmd.api;

/**
 * DXGK_BUILDPAGINGBUFFER operations this model uses. Each names the PASID whose address space it
 * works in. (MapApertureSegment and UnmapApertureSegment come with the aperture.)
 */
public sealed interface PagingOperation permits PagingOperation.Transfer, PagingOperation.Fill,
        PagingOperation.SignalMonitoredFence {
    int pasid();

    record Transfer(int pasid, long srcVa, long dstVa, long length) implements PagingOperation {
    }

    record Fill(int pasid, long va, long length, int pattern) implements PagingOperation {
    }

    /** Writes {@code value} to the 8-byte monitored fence at {@code fenceVa}. */
    record SignalMonitoredFence(int pasid, long fenceVa, long value) implements PagingOperation {
    }
}
