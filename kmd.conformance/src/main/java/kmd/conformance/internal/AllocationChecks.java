package kmd.conformance.internal;

import java.util.List;
import java.util.Set;

import kmd.api.AllocationDescription;
import kmd.api.AllocationRequest;
import kmd.api.SegmentDescriptor;

import static kmd.conformance.internal.CheckFailed.require;

/**
 * DxgkDdiCreateAllocation: a description VidMm can back for every size it may ask, primary or not;
 * DxgkDdiOpenAllocation / DxgkDdiCloseAllocation: the handle an open returns is the one its close takes.
 */
final class AllocationChecks {
    private static final long[] SIZES = {1, 4096, 4097, 65536, (1L << 20) + 3, 16L << 20};

    private AllocationChecks() {
    }

    static List<Check<Session>> all() {
        return List.of(new Check<>("allocation.describe", AllocationChecks::describe));
    }

    static void describe(Session s) {
        KitProcess.Device d = s.process().device();
        Set<Integer> segments = new java.util.HashSet<>();
        s.info().segments().stream().map(SegmentDescriptor::id).forEach(segments::add);
        long handle = 0x7000;
        for (long size : SIZES) {
            for (boolean primary : new boolean[] {false, true}) {
                AllocationRequest request = new AllocationRequest(size, primary);
                AllocationDescription desc = s.kmd().createAllocation(d.handle, request);
                String what = "CreateAllocation of " + size + " bytes" + (primary ? ", a primary," : "");
                require(desc != null, what + " returned no description");
                require(desc.size() >= size, what + " describes only " + desc.size() + " bytes");
                require(desc.alignment() >= 4096 && Long.bitCount(desc.alignment()) == 1 && desc.alignment() <= 65536,
                        what + ": alignment " + desc.alignment() + " is not a power of two in 4096..65536");
                require(segments.contains(desc.preferredSegment()), what + " prefers segment " + desc.preferredSegment()
                        + ", which QueryAdapterInfo did not report " + segments);
                handle++;
                long h = handle;
                long opened = s.kmd().openAllocation(d.handle, h, true);
                try {
                    s.kmd().closeAllocation(d.handle, opened);
                } catch (RuntimeException e) {
                    throw new CheckFailed("CloseAllocation refused hDeviceSpecificAllocation 0x" + Long.toHexString(opened)
                            + ", what OpenAllocation of allocation 0x" + Long.toHexString(h) + " returned: " + e.getMessage());
                }
                s.kmd().destroyAllocation(h);
            }
        }
    }
}
