package example.kmd;

import java.util.List;

import gpu.hw.EngineType;
import gpu.hw.GpuAdapter;
import kmd.api.AdapterInfo;
import kmd.api.DriverCaps;
import kmd.api.EngineNode;
import kmd.api.SegmentDescriptor;
import kmd.api.VidMmCaps;
import kmd.sdk.AdapterContext;

/**
 * The example driver's context on one adapter, as a template: {@link AdapterContext} (kmd.sdk) does
 * what every driver of the simulated GPU does the same way (hardware programming, interrupts, process
 * and device handles, allocation descriptions); this class keeps what is its own: its adapter info,
 * and every GPU command runs on the render engine.
 */
final class ExampleKmd extends AdapterContext {
    private static final int APERTURE = 2;

    ExampleKmd(GpuAdapter gpu) {
        super("example", gpu, APERTURE, 0xE000);
    }

    @Override
    public AdapterInfo queryAdapterInfo() {
        return new AdapterInfo("Example Corp KMD", new VidMmCaps(true, true, false, false, false),
                new DriverCaps(gpu.aperture().size()), List.of(new SegmentDescriptor(1, "system", 0, true, false),
                        new SegmentDescriptor(APERTURE, "aperture", gpu.aperture().size(), true, true)));
    }

    @Override
    protected EngineType engineFor(EngineNode node) {
        return EngineType.RENDER;
    }
}
