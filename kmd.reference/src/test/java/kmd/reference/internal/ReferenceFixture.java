package kmd.reference.internal;

import gpu.hw.GpuAdapter;
import kmd.api.VidMmCaps;

/**
 * kmd.reference's test fixture: the reference driver's context for one adapter, built outside a
 * framework with the caps a test asks for, for the tests and benchmarks of later modules (they
 * depend on this module's test-jar, which holds only the fixture). In a framework the driver service
 * ({@link ReferenceDriver}) makes it, with the caps of its configuration.
 */
public final class ReferenceFixture {
    private ReferenceFixture() {
    }

    public static ReferenceKmd kmd(GpuAdapter gpu, VidMmCaps caps, long apertureSegmentCommitLimit) {
        return new ReferenceKmd(gpu, caps, apertureSegmentCommitLimit);
    }
}
