package vidmm.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import kmd.api.DmaCommand;

/**
 * A submission's allocation list: the device's allocations whose VA ranges the commands touch (what
 * WDDM's UMD would list with the DMA buffer). VidMm makes them resident before the submission.
 */
final class AllocationList {
    private AllocationList() {
    }

    static List<AllocationState> touched(Collection<AllocationState> allocations, List<DmaCommand> commands) {
        List<long[]> ranges = new ArrayList<>();
        for (DmaCommand c : commands) {
            if (c instanceof DmaCommand.Copy x) {
                ranges.add(new long[] {x.srcVa(), x.length()});
                ranges.add(new long[] {x.dstVa(), x.length()});
            } else if (c instanceof DmaCommand.Fill x) {
                ranges.add(new long[] {x.dstVa(), x.length()});
            } else if (c instanceof DmaCommand.FillRect x) {
                ranges.add(new long[] {x.dstVa(), span(x.pitch(), x.widthBytes(), x.height())});
            } else if (c instanceof DmaCommand.Blit x) {
                ranges.add(new long[] {x.srcVa(), span(x.srcPitch(), x.widthBytes(), x.height())});
                ranges.add(new long[] {x.dstVa(), span(x.dstPitch(), x.widthBytes(), x.height())});
            } else if (c instanceof DmaCommand.WriteFence x) {
                ranges.add(new long[] {x.va(), 8});
            }
        }
        List<AllocationState> out = new ArrayList<>();
        for (AllocationState a : allocations) {
            for (long[] r : ranges) {
                if (r[1] > 0 && r[0] < a.va + a.size && a.va < r[0] + r[1]) {
                    out.add(a);
                    break;
                }
            }
        }
        return out;
    }

    /** Bytes a command writes (a copy or blit also reads as many). */
    static long bytes(DmaCommand c) {
        if (c instanceof DmaCommand.Copy x) {
            return x.length();
        } else if (c instanceof DmaCommand.Fill x) {
            return x.length();
        } else if (c instanceof DmaCommand.FillRect x) {
            return x.widthBytes() * (long) x.height();
        } else if (c instanceof DmaCommand.Blit x) {
            return x.widthBytes() * (long) x.height();
        }
        return 8; // a fence write
    }

    private static long span(long pitch, long width, long height) {
        return height <= 0 ? 0 : pitch * (height - 1) + width;
    }
}
