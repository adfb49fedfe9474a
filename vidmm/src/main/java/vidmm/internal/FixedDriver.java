package vidmm.internal;

import gpu.hw.GpuAdapter;
import gpu.hw.PciIdentity;
import kmd.api.DisplayDriver;
import kmd.api.KernelModeDriver;

/**
 * A driver context handed to VidMm directly (tests, benchmarks, embedding): a {@link DisplayDriver}
 * whose AddDevice returns that context, with the score of the service property {@link #SCORE}.
 */
record FixedDriver(KernelModeDriver context) implements DisplayDriver {
    /** The property that gives a fixed driver its match score (an Integer). */
    static final String SCORE = "kmd.match.score";

    @Override
    public int match(PciIdentity adapter) {
        return 1;
    }

    @Override
    public KernelModeDriver addDevice(GpuAdapter adapter) {
        return context;
    }

    @Override
    public void removeDevice(KernelModeDriver removed) {
        // the context belongs to whoever handed it over
    }
}
