package kmd.conformance.internal;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import kmd.api.AllocationDescription;
import kmd.api.AllocationFlag;
import kmd.api.AllocationRequest;
import kmd.api.SegmentDescriptor;

import static kmd.conformance.internal.CheckFailed.require;

/** DxgkDdiCreateAllocation: a description VidMm can back for every size and flag set it may ask. */
final class AllocationChecks {
    private static final long[] SIZES = {1, 4096, 4097, 65536, (1L << 20) + 3, 16L << 20};

    private AllocationChecks() {
    }

    static List<Check<Session>> all() {
        return List.of(new Check<>("allocation.describe", AllocationChecks::describe));
    }

    static void describe(Session s) {
        KitProcess.Device d = s.process().device();
        List<Set<AllocationFlag>> flagSets = List.of(Set.of(), Set.of(AllocationFlag.CPU_VISIBLE),
                Set.of(AllocationFlag.PRIMARY, AllocationFlag.CPU_VISIBLE), Set.of(AllocationFlag.SHARED),
                EnumSet.allOf(AllocationFlag.class));
        Set<Integer> segments = new java.util.HashSet<>();
        s.info().segments().stream().map(SegmentDescriptor::id).forEach(segments::add);
        long handle = 0x7000;
        for (long size : SIZES) {
            for (Set<AllocationFlag> flags : flagSets) {
                AllocationRequest request = new AllocationRequest(size, flags);
                AllocationDescription desc = s.kmd().createAllocation(d.handle, request);
                String what = "CreateAllocation of " + size + " bytes " + flags;
                require(desc != null, what + " returned no description");
                require(desc.size() >= size, what + " describes only " + desc.size() + " bytes");
                require(desc.alignment() >= 4096 && Long.bitCount(desc.alignment()) == 1 && desc.alignment() <= 65536,
                        what + ": alignment " + desc.alignment() + " is not a power of two in 4096..65536");
                require(desc.flags().containsAll(flags), what + " drops flags: described " + desc.flags());
                require(segments.contains(desc.preferredSegment()), what + " prefers segment " + desc.preferredSegment()
                        + ", which QueryAdapterInfo did not report " + segments);
                handle++;
                long h = handle;
                s.kmd().openAllocation(d.handle, h, 0x10000, desc.size());
                s.kmd().closeAllocation(d.handle, h);
                s.kmd().destroyAllocation(h);
            }
        }
    }
}
