package kmd.alt.internal;

import java.util.List;
import java.util.Set;

import gpu.hw.GpuAdapter;
import gpu.hw.GpuCommand;
import kmd.api.AdapterInfo;
import kmd.api.AllocationDescription;
import kmd.api.AllocationFlag;
import kmd.api.AllocationRequest;
import kmd.api.DmaCommand;
import kmd.api.DriverCaps;
import kmd.api.SegmentDescriptor;
import kmd.api.VidMmCaps;
import kmd.sdk.AdapterContext;
import kmd.sdk.Hardware;

/**
 * Contoso's context on one adapter. It differs from the reference driver where VidMm and the shell can
 * see it: segment layout (aperture segment 7, half the hardware aperture), allocation alignment, and
 * command encoding (copies and fills become one-row rectangles).
 */
final class ContosoKmd extends AdapterContext {
    static final int APERTURE_SEGMENT = 7;

    ContosoKmd(GpuAdapter gpu) {
        super("contoso", gpu, APERTURE_SEGMENT, 0xC000);
    }

    @Override
    public AdapterInfo queryAdapterInfo() {
        long aperture = apertureSegmentPages() << 12;
        return new AdapterInfo("Contoso IoMmu KMD for " + gpu.identity(), new VidMmCaps(true, true, false, false, false),
                new DriverCaps(aperture), List.of(new SegmentDescriptor(1, "system memory", 0, true, false),
                        new SegmentDescriptor(APERTURE_SEGMENT, "Contoso GART window", aperture, true, true)));
    }

    @Override
    protected long apertureSegmentPages() {
        return gpu.aperture().pages() / 2;
    }

    @Override
    public AllocationDescription createAllocation(long hDevice, AllocationRequest request) {
        handles.device(hDevice); // an unknown device is refused (the conformance kit's ddi.refusal found it was not)
        return new AllocationDescription((request.size() + 4095) & ~4095L, 65536, 1, Set.of(AllocationFlag.CPU_VISIBLE));
    }

    /** Contoso's encoding: linear copies and fills as one-row rectangles, when they fit one row. */
    @Override
    protected GpuCommand encode(DmaCommand c) {
        if (c instanceof DmaCommand.Copy x && x.length() <= Integer.MAX_VALUE) {
            return new GpuCommand.Blit(x.srcVa(), x.length(), x.dstVa(), x.length(), (int) x.length(), 1);
        }
        if (c instanceof DmaCommand.Fill x && x.length() <= Integer.MAX_VALUE && x.length() % 4 == 0) {
            return new GpuCommand.FillRect(x.dstVa(), x.length(), (int) x.length(), 1, x.pattern());
        }
        return Hardware.encode(c);
    }
}
