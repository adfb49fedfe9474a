package vidmm.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import kmd.api.AllocationFlag;
import kmd.api.KernelModeDriver;
import kmd.api.PagingOperation;
import kmd.api.VidPnSourceMode;
import os.memmgr.PinnedPages;
import vidmm.ApertureMapping;
import vidmm.VidMmEvents;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

import static vidmm.internal.Calls.ddi;
import static vidmm.internal.Calls.os;
import static vidmm.internal.Calls.quietly;

/**
 * One adapter's display: primaries pinned and mapped into its aperture segment
 * (MapApertureSegment), sources pointed at them (SetVidPnSourceAddress), and unmapped and unpinned
 * when replaced or blanked. Guarded by the adapter's lock.
 */
final class Display {
    /** A primary a source displays: its aperture range and the pin that keeps its frames. */
    private record Displayed(int source, AllocationState allocation, long firstPage, long pages, PinnedPages pin) {
    }

    private final AdapterVidMm a;
    private final Map<Integer, Displayed> displayed = new TreeMap<>();

    Display(AdapterVidMm adapter) {
        this.a = adapter;
    }

    void present(long device, long allocation, int source) {
        synchronized (a.lock) {
            a.requireStarted();
            DeviceState d = a.deviceLocked(device);
            AdapterVidMm.requireActive(d);
            AllocationState x = a.allocationLocked(d, allocation);
            if (!x.flags.contains(AllocationFlag.PRIMARY)) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "allocation 0x" + Long.toHexString(allocation)
                        + " is not a primary (allocate it with the PRIMARY flag)");
            }
            List<VidPnSourceMode> modes = a.sourceModes;
            if (source < 0 || source >= modes.size()) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "video present source " + source
                        + " does not exist on adapter " + a.index + "; its driver reports " + modes.size() + " source(s)");
            }
            VidPnSourceMode mode = modes.get(source);
            if (x.size < mode.surfaceBytes()) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "primary of " + x.size + " bytes is smaller than"
                        + " source " + source + "'s " + mode.width() + "x" + mode.height() + " surface of "
                        + mode.surfaceBytes() + " bytes");
            }
            Displayed previous = displayed.get(source);
            if (previous != null && previous.allocation() == x) {
                return;
            }
            ApertureSpace aperture = a.aperture;
            long pages = x.size >>> 12;
            long first = aperture.reserve(pages);
            PinnedPages pin;
            try {
                pin = os(() -> a.mm.addressSpace(d.pid).pin(x.va, x.size, false));
            } catch (VidMmException e) {
                aperture.release(first, pages);
                throw e;
            }
            try {
                paging("MapApertureSegment", new PagingOperation.MapApertureSegment(aperture.segmentId, first, pin.frames()));
            } catch (VidMmException e) {
                aperture.release(first, pages);
                quietly(() -> a.mm.addressSpace(d.pid).unpin(pin.handle()));
                throw e;
            }
            Displayed shown = new Displayed(source, x, first, pages, pin);
            KernelModeDriver kmd = a.kmd();
            try {
                ddi("DxgkDdiSetVidPnSourceAddress", () -> kmd.setVidPnSourceAddress(source, aperture.segmentId, first << 12));
            } catch (VidMmException e) {
                releaseLocked(shown);
                throw e;
            }
            displayed.put(source, shown);
            if (previous != null) {
                releaseLocked(previous);
            }
            a.post(VidMmEvents.PRESENT, () -> VidMmEventProperties.present(d.handle, d.pid, x.handle, source, x.va));
        }
    }

    /** Runs a paging operation and waits for its paging fence. */
    private void paging(String name, PagingOperation op) {
        long fence = a.pagingFence.next();
        KernelModeDriver kmd = a.kmd();
        ddi("DxgkDdiBuildPagingBuffer(" + name + ")", () -> kmd.buildPagingBuffer(op, fence));
        a.pagingFence.await(fence, name, 5000);
    }

    /** Unmaps a primary from the aperture (dummy page again) and unpins it. */
    private void releaseLocked(Displayed x) {
        if (a.kmd() != null) {
            try {
                paging("UnmapApertureSegment", new PagingOperation.UnmapApertureSegment(a.aperture.segmentId, x.firstPage(),
                        x.pages()));
            } catch (VidMmException e) {
                if (e.status() != VidMmStatus.DRIVER_HUNG) { // a hung driver is given up: nothing to unmap through it
                    System.getLogger(Display.class.getName()).log(System.Logger.Level.WARNING, e.getMessage());
                }
            }
        }
        a.aperture.release(x.firstPage(), x.pages());
        quietly(() -> a.mm.addressSpace(x.allocation().device.pid).unpin(x.pin().handle()));
    }

    /** Turns a source off (no surface) and releases the primary it showed. */
    private void blankLocked(int source) {
        Displayed x = displayed.remove(source);
        KernelModeDriver kmd = a.kmd();
        if (kmd != null) {
            quietly(() -> kmd.setVidPnSourceAddress(source, 0, 0));
        }
        if (x != null) {
            releaseLocked(x);
        }
    }

    void blankAll() {
        for (Integer source : new ArrayList<>(displayed.keySet())) {
            blankLocked(source);
        }
    }

    /** Blanks every source that shows a primary of {@code d} (the device is going). */
    void blankShowing(DeviceState d) {
        for (Displayed x : new ArrayList<>(displayed.values())) {
            if (x.allocation().device == d) {
                blankLocked(x.source());
            }
        }
    }

    /** A displayed primary may not be destroyed. */
    void refuseIfShown(AllocationState x) {
        for (Displayed shown : displayed.values()) {
            if (shown.allocation() == x) {
                throw new VidMmException(VidMmStatus.ALLOCATION_IN_USE, "allocation 0x" + Long.toHexString(x.handle)
                        + " is displayed on source " + shown.source() + "; present another primary there first");
            }
        }
    }

    /** The allocations on screen (never evicted). */
    Set<AllocationState> shown() {
        Set<AllocationState> set = new HashSet<>();
        displayed.values().forEach(x -> set.add(x.allocation()));
        return set;
    }

    /** A new driver's aperture keeps the displayed primaries where they are. */
    void reserveShownIn(ApertureSpace space) {
        for (Displayed x : displayed.values()) {
            space.reserveAt(x.firstPage(), x.pages());
        }
    }

    /** Maps every displayed primary again and points its source at it (a new driver was attached). */
    void replayLocked() {
        KernelModeDriver kmd = a.kmd();
        for (Displayed x : displayed.values()) {
            paging("MapApertureSegment", new PagingOperation.MapApertureSegment(a.aperture.segmentId, x.firstPage(),
                    x.pin().frames()));
            kmd.setVidPnSourceAddress(x.source(), a.aperture.segmentId, x.firstPage() << 12);
        }
    }

    List<ApertureMapping> mappings() {
        synchronized (a.lock) {
            List<ApertureMapping> list = new ArrayList<>();
            for (Displayed x : displayed.values()) {
                list.add(new ApertureMapping(x.source(), x.allocation().handle, x.allocation().device.pid, x.firstPage(),
                        x.pages(), x.pin().frames(), a.index));
            }
            return list;
        }
    }
}
